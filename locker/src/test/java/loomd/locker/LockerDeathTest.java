package loomd.locker;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.testkit.Stopwatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LockerDeathTest {
    @RegisterExtension
    final LockerFixture locker = new LockerFixture();

    @TempDir
    Path dir;

    @Test
    void lockerDeathFailsWaitersMarksLocksLostAndRestarts() throws Exception {
        LockerClient client = locker.client();
        LockOwner holder = client.newOwner("holder");
        LockOwner waiter = client.newOwner("waiter");
        LockOwner bystander = client.newOwner("bystander");
        Path file = dir.resolve("x.lock");
        PathLock.Held held = client.lock(holder, file, LockMode.EXCLUSIVE, Wait.TRY).get(10, TimeUnit.SECONDS).held();
        CompletableFuture<PathLock> waiting = client.lock(waiter, file, LockMode.EXCLUSIVE, Wait.WAIT);
        long oldPid = client.lockerPid();
        assertEquals(1, client.generation());
        Thread.sleep(100);

        Stopwatch killed = Stopwatch.start();
        ProcessHandle.of(oldPid).orElseThrow().destroyForcibly();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> waiting.get(Stopwatch.PATIENCE.toSeconds(), TimeUnit.SECONDS));
        killed.assertPrompt("kill -9 of the locker noticed by a waiter");
        assertInstanceOf(LockerUnavailableException.class, e.getCause());
        LockerUnavailableException cause = holder.whenLost().get(5, TimeUnit.SECONDS);
        assertTrue(cause.getMessage().contains("locker"), cause.getMessage());
        assertTrue(holder.heldLocks().isEmpty());
        assertTrue(!bystander.isLost(), "an owner without locks lost nothing");

        // The kernel dropped the dead locker's locks: anyone may take the file now.
        int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
        try {
            assertTrue(OfdLocks.tryLock(fd, LockKind.WRITE));
        } finally {
            Fds.close(fd);
        }
        ExecutionException relock = assertThrows(ExecutionException.class,
                () -> client.relock(held, LockMode.SHARED, Wait.TRY).get(5, TimeUnit.SECONDS));
        assertInstanceOf(LockerUnavailableException.class, relock.getCause());
        client.unlock(held).get(5, TimeUnit.SECONDS);

        PathLock again = client.lock(bystander, file, LockMode.EXCLUSIVE, Wait.TRY).get(30, TimeUnit.SECONDS);
        assertTrue(again.acquired());
        assertEquals(2, again.held().generation());
        assertTrue(client.lockerPid() != oldPid);
        assertEquals(1, client.stats().get(5, TimeUnit.SECONDS).heldLocks());
    }

    @Test
    void closingTheClientStopsTheLockerAndReleasesItsLocks() throws Exception {
        Path file = dir.resolve("y.lock");
        long pid;
        try (LockerClient client = locker.client()) {
            client.lock(client.newOwner("o"), file, LockMode.EXCLUSIVE, Wait.TRY).get(10, TimeUnit.SECONDS).held();
            pid = client.lockerPid();
        }
        assertTrue(ProcessHandle.of(pid).isEmpty() || !ProcessHandle.of(pid).get().isAlive());
        int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
        try {
            assertTrue(OfdLocks.tryLock(fd, LockKind.WRITE));
        } finally {
            Fds.close(fd);
        }
    }
}
