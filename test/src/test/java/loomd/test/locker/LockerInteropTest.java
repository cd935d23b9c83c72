package loomd.test.locker;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.LockerFixture;
import loomd.locker.PathLock;
import loomd.locker.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The locker's OFD locks against classic POSIX locks of another program (python fcntl.lockf), both ways. */
class LockerInteropTest {
    @RegisterExtension
    final LockerFixture locker = new LockerFixture();

    @TempDir
    Path dir;

    @Test
    void classicLockersAreRefusedWhileLoomdHoldsAndViceVersa() throws Exception {
        Path file = dir.resolve("store-item.lock");
        LockerClient client = locker.client();
        try (PythonLockf python = new PythonLockf(file)) {
            LockOwner session = client.newOwner("session");

            PathLock.Held mine = client.lock(session, file, LockMode.EXCLUSIVE, Wait.TRY).get(10, TimeUnit.SECONDS).held();
            assertEquals("busy", python.ask("try ex"));
            assertEquals("busy", python.ask("try sh"));
            client.relock(mine, LockMode.SHARED, Wait.TRY).get(10, TimeUnit.SECONDS).held();
            assertEquals("locked", python.ask("try sh"), "shared and shared coexist across the two kinds");
            assertEquals("unlocked", python.ask("unlock"));
            client.unlock(mine).get(10, TimeUnit.SECONDS);

            assertEquals("locked", python.ask("try ex"));
            PathLock refused = client.lock(session, file, LockMode.SHARED, Wait.TRY).get(10, TimeUnit.SECONDS);
            assertFalse(refused.acquired());
            assertEquals(python.pid(), ((PathLock.Busy) refused).holderPid(), "the classic holder's pid is reported");

            CompletableFuture<PathLock> waiting = client.lock(session, file, LockMode.EXCLUSIVE, Wait.WAIT);
            Thread.sleep(200);
            assertFalse(waiting.isDone());
            assertEquals("unlocked", python.ask("unlock"));
            assertTrue(waiting.get(10, TimeUnit.SECONDS).acquired(), "a waiter wakes when the classic lock goes");

            python.send("wait ex");
            Thread.sleep(200);
            client.releaseAll(session).get(10, TimeUnit.SECONDS);
            assertEquals("locked", python.answer(), "a classic waiter wakes when loomd releases");
        }
    }
}
