package loomd.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.LockerFixture;
import loomd.locker.PathLock;
import loomd.locker.PathLocks;
import loomd.locker.Wait;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The locker's cost as the daemon sees it: lock+unlock round trips per second (one caller, and 16 virtual
 * threads at once), and the latency of taking the 200 path locks of a build's inputs with {@link PathLocks}.
 * Every call goes daemon -> locker process -> daemon over the real link; files live in a temp dir on disk.
 */
@Tag("bench")
class LockerBench {
    static final int WARMUP = 5_000;
    static final int ROUND_TRIPS = 20_000;
    static final int CLOSURE = 200;
    static final int CLOSURE_RUNS = 60;

    @RegisterExtension
    final LockerFixture locker = new LockerFixture();

    @TempDir
    Path dir;

    @Test
    void lockUnlockRoundTrips() throws Exception {
        LockerClient client = locker.client();
        LockOwner owner = client.newOwner("bench");
        Path file = dir.resolve("one.lock");
        sequential(client, owner, file, WARMUP);
        long start = System.nanoTime();
        sequential(client, owner, file, ROUND_TRIPS);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("lock+unlock, one caller: %.0f round trips/s (%.1f us each)%n",
                ROUND_TRIPS / seconds, seconds * 1e6 / ROUND_TRIPS);

        int callers = 16;
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            long t = System.nanoTime();
            for (int c = 0; c < callers; c++) {
                LockOwner o = client.newOwner("bench-" + c);
                Path f = dir.resolve("c" + c + ".lock");
                done.add(executor.submit(() -> sequential(client, o, f, ROUND_TRIPS / callers)));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf("lock+unlock, %d virtual-thread callers: %.0f round trips/s%n", callers, ROUND_TRIPS / s);
        }
    }

    @Test
    void buildClosureOf200PathLocks() throws Exception {
        LockerClient client = locker.client();
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < CLOSURE; i++) {
            inputs.add(dir.resolve(String.format("%032x-input-%d", (long) i * 0x9E3779B97F4A7C15L, i)));
        }
        long[] acquire = new long[CLOSURE_RUNS];
        long[] release = new long[CLOSURE_RUNS];
        for (int run = -10; run < CLOSURE_RUNS; run++) {
            LockOwner build = client.newOwner("build-" + run);
            long t = System.nanoTime();
            PathLocks locks = PathLocks.lock(client, build, inputs, Wait.WAIT, p -> {}).orElseThrow();
            long acquired = System.nanoTime();
            assertEquals(CLOSURE, build.heldLocks().size());
            locks.release();
            long released = System.nanoTime();
            if (run >= 0) {
                acquire[run] = acquired - t;
                release[run] = released - acquired;
            }
        }
        Arrays.sort(acquire);
        Arrays.sort(release);
        System.out.printf("PathLocks of %d paths: acquire median %.2f ms (p90 %.2f ms), release median %.2f ms%n",
                CLOSURE, acquire[CLOSURE_RUNS / 2] / 1e6, acquire[CLOSURE_RUNS * 9 / 10] / 1e6,
                release[CLOSURE_RUNS / 2] / 1e6);
    }

    private static Void sequential(LockerClient client, LockOwner owner, Path file, int n) {
        for (int i = 0; i < n; i++) {
            PathLock lock = client.lock(owner, file, LockMode.EXCLUSIVE, Wait.WAIT).join();
            client.unlock(lock).join();
        }
        return null;
    }
}
