package loomd.test.locker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.LockerFixture;
import loomd.locker.PathLocks;
import loomd.locker.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many builds on virtual threads locking overlapping sets of paths with WAIT: sorted acquisition must never
 * deadlock, and no two builds may ever hold the same path at once.
 */
class LockerStressTest {
    static final int BUILDS = 24;
    static final int PATHS = 16;
    static final int ROUNDS = 40;

    @RegisterExtension
    final LockerFixture locker = new LockerFixture();

    @TempDir
    Path dir;

    @Test
    void overlappingPathSetsNeverDeadlockAndStayExclusive() throws Exception {
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < PATHS; i++) {
            paths.add(dir.resolve("out-" + i));
        }
        ConcurrentHashMap<Path, AtomicInteger> holders = new ConcurrentHashMap<>();
        paths.forEach(p -> holders.put(p, new AtomicInteger()));
        AtomicInteger violations = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        LockerClient client = locker.client();
        try (var builds = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int b = 0; b < BUILDS; b++) {
                all.add(builds.submit(() -> {
                    for (int round = 0; round < ROUNDS; round++) {
                        List<Path> wanted = new ArrayList<>();
                        for (Path p : paths) {
                            if (ThreadLocalRandom.current().nextInt(4) == 0) {
                                wanted.add(p);
                            }
                        }
                        LockOwner owner = client.newOwner("build");
                        try (PathLocks locks = PathLocks.lock(client, owner, wanted, Wait.WAIT, p -> {}).orElseThrow()) {
                            for (Path p : wanted) {
                                if (holders.get(p).incrementAndGet() != 1) {
                                    violations.incrementAndGet();
                                }
                            }
                            Thread.yield();
                            for (Path p : wanted) {
                                holders.get(p).decrementAndGet();
                            }
                            locks.setDeletion(ThreadLocalRandom.current().nextBoolean());
                        }
                        client.releaseAll(owner).join();
                        completed.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get(120, TimeUnit.SECONDS);
            }
            assertEquals(0, client.stats().get(10, TimeUnit.SECONDS).heldLocks());
        }
        assertEquals(0, violations.get(), "two builds held one path at the same time");
        assertEquals(BUILDS * ROUNDS, completed.get());
        assertTrue(holders.values().stream().allMatch(h -> h.get() == 0));
    }
}
