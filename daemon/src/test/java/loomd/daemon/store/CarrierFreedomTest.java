package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.PathLock;
import loomd.locker.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform rule behind every package-info here: no blocking native call on a virtual thread.
 * While many virtual threads wait for a lock held for over a second, write to the database and
 * scan it, a 5 ms ticker on another virtual thread must keep running. A lock wait (or SQLite
 * busy wait) done natively on the callers' threads would pin both carriers of a 2-core machine
 * for the whole second, and the ticker would fall that far behind.
 */
class CarrierFreedomTest {
    static final long HOLD_MS = 1_500;
    static final long TOLERATED_LATENESS_MS = 600;

    @TempDir Path dir;

    @Test
    void sessionsWaitingOnLocksWritesAndScansLeaveTheCarriersFree() throws Exception {
        LockerClient locker = TestStores.locker();
        Path contended = Files.createFile(dir.resolve("contended.lock"));
        LockOwner holder = locker.newOwner("holder");
        assertInstanceOf(PathLock.Held.class, locker.lock(holder, contended, LockMode.EXCLUSIVE, Wait.TRY).join());

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong worstLateness = new AtomicLong();
        Thread ticker = Thread.ofVirtual().start(() -> tick(running, worstLateness));
        try (LocalStore store = TestStores.open(TestStores.config(dir));
             SessionRoots roots = store.roots().openSessionRoots();
             var sessions = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> work = new ArrayList<>();
            List<LockOwner> waiters = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                LockOwner waiter = locker.newOwner("waiter " + i);
                waiters.add(waiter);
                work.add(sessions.submit(() -> locker.lock(waiter, contended, LockMode.SHARED, Wait.WAIT).join()));
            }
            for (int i = 0; i < 8; i++) {
                String text = "text " + i;
                work.add(sessions.submit(() -> store.adds().addTextToStore("t" + text.hashCode() + ".txt", text.getBytes(),
                        new TreeSet<>(), roots)));
                work.add(sessions.submit(store.queries()::queryAllValidPaths));
            }
            Thread.sleep(HOLD_MS);
            locker.releaseAll(holder).join();
            for (Future<?> f : work) {
                f.get(30, TimeUnit.SECONDS);
            }
            waiters.forEach(w -> locker.releaseAll(w).join());
            assertEquals(8, store.queries().queryAllValidPaths().size());
        } finally {
            running.set(false);
            ticker.join();
        }
        assertTrue(worstLateness.get() < TOLERATED_LATENESS_MS,
                "a 5 ms ticker fell " + worstLateness.get() + " ms behind: a carrier was blocked");
    }

    private static void tick(AtomicBoolean running, AtomicLong worstLateness) {
        while (running.get()) {
            long before = System.nanoTime();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
            long lateMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before) - 5;
            worstLateness.accumulateAndGet(lateMs, Math::max);
        }
    }
}
