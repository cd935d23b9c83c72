package loomd.test.locker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.LockerFixture;
import loomd.locker.PathLock;
import loomd.locker.Wait;
import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.testkit.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 10,000 held locks cost the daemon no descriptors, and release-all is exact per owner. */
class ManyLocksTest {
    static final int LOCKS = 10_000;

    @RegisterExtension
    final LockerFixture locker = new LockerFixture();

    @TempDir
    Path dir;

    @Test
    void tenThousandLocksLeaveTheDaemonsFdCountFlat() throws Exception {
        LockerClient client = locker.client();
        LockOwner warm = client.newOwner("warm-up");
        client.lock(warm, dir.resolve("warm.lock"), LockMode.EXCLUSIVE, Wait.TRY).join().held();
        client.releaseAll(warm).join();
        int fdsBefore = Fds.openFdCount();

        LockOwner even = client.newOwner("even");
        LockOwner odd = client.newOwner("odd");
        List<Path> files = new ArrayList<>();
        List<CompletableFuture<PathLock>> locks = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < LOCKS; i++) {
            Path file = dir.resolve("p" + i + ".lock");
            files.add(file);
            locks.add(client.lock(i % 2 == 0 ? even : odd, file, LockMode.EXCLUSIVE, Wait.WAIT));
        }
        locks.forEach(f -> f.join().held());
        long takeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        int fdsHolding = Fds.openFdCount();
        LockerClient.Stats stats = client.stats().get(10, TimeUnit.SECONDS);
        System.out.printf("took %d locks in %d ms; daemon fds %d -> %d; locker holds %d locks, %d fds, %s%n",
                LOCKS, takeMs, fdsBefore, fdsHolding, stats.heldLocks(), stats.lockerOpenFds(), rss(stats.lockerPid()));
        assertEquals(fdsBefore, fdsHolding, "the daemon's open-fd count must not grow with held locks");
        assertEquals(LOCKS, stats.heldLocks());
        assertTrue(stats.lockerOpenFds() >= LOCKS);
        assertEquals(LOCKS / 2, even.heldLocks().size());

        long releaseStart = System.nanoTime();
        assertEquals(LOCKS / 2, client.releaseAll(even).get(10, TimeUnit.SECONDS));
        long releaseMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - releaseStart);
        System.out.printf("release-all of %d locks took %d ms%n", LOCKS / 2, releaseMs);
        assertEquals(LOCKS / 2, client.stats().get(10, TimeUnit.SECONDS).heldLocks());
        assertTrue(even.heldLocks().isEmpty());
        assertEquals(LOCKS / 2, odd.heldLocks().size());
        for (int i = 0; i < LOCKS; i += 37) {
            int fd = Fds.open(files.get(i).toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
            try {
                boolean free = OfdLocks.tryLock(fd, LockKind.WRITE);
                assertEquals(i % 2 == 0, free, "file " + i + " after releasing the even owner");
            } finally {
                Fds.close(fd);
            }
        }
        assertEquals(LOCKS / 2, client.releaseAll(odd).get(10, TimeUnit.SECONDS));
        assertEquals(0, client.stats().get(10, TimeUnit.SECONDS).heldLocks());
        assertEquals(fdsBefore, Fds.openFdCount());
    }

    @Test
    void aWaitingRequestDoesNotDelayUnrelatedOnes() throws Exception {
        LockerClient client = locker.client();
        LockOwner worker = client.newOwner("worker");
        Path unrelated = dir.resolve("unrelated.lock");
        roundTrips(client, worker, unrelated, 2000);
        long[] quiet = roundTrips(client, worker, unrelated, 300);

        LockOwner holder = client.newOwner("holder");
        Path contended = dir.resolve("contended.lock");
        client.lock(holder, contended, LockMode.EXCLUSIVE, Wait.TRY).join().held();
        List<CompletableFuture<PathLock>> waiters = new ArrayList<>();
        List<LockOwner> waitingOwners = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            LockOwner o = client.newOwner("waiter-" + i);
            waitingOwners.add(o);
            waiters.add(client.lock(o, contended, LockMode.EXCLUSIVE, Wait.WAIT));
        }
        assertTrue(Poll.until(Duration.ofSeconds(5),
                () -> client.stats().get(5, TimeUnit.SECONDS).waitingRequests() == 20));
        long[] busy = roundTrips(client, worker, unrelated, 300);
        assertTrue(waiters.stream().noneMatch(CompletableFuture::isDone));
        System.out.printf("lock+unlock of an unrelated file: median %d us, p99 %d us alone; "
                + "median %d us, p99 %d us with 20 requests waiting%n",
                quiet[0] / 1000, quiet[1] / 1000, busy[0] / 1000, busy[1] / 1000);
        assertTrue(busy[0] < Math.max(5 * quiet[0], TimeUnit.MILLISECONDS.toNanos(2)),
                "waiting requests slowed unrelated ones: " + busy[0] + " ns vs " + quiet[0] + " ns");
        for (LockOwner o : waitingOwners) {
            client.releaseAll(o).join();
        }
        client.releaseAll(holder).join();
    }

    private static String rss(long pid) {
        try {
            return java.nio.file.Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("VmRSS")).findFirst().orElse("VmRSS unknown").replaceAll("\\s+", " ");
        } catch (java.io.IOException e) {
            return "VmRSS unknown";
        }
    }

    /** Median and p99 of lock+unlock round trips, in ns. */
    private static long[] roundTrips(LockerClient client, LockOwner owner, Path file, int n) {
        long[] times = new long[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            PathLock lock = client.lock(owner, file, LockMode.EXCLUSIVE, Wait.WAIT).join();
            client.unlock(lock).join();
            times[i] = System.nanoTime() - t;
        }
        java.util.Arrays.sort(times);
        return new long[] {times[n / 2], times[n * 99 / 100]};
    }
}
