package loomd.test.locker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import loomd.daemon.store.StoreException;
import loomd.daemon.store.roots.GcLock;
import loomd.daemon.store.roots.LockerFileLocker;
import loomd.daemon.store.roots.TempRoots;
import loomd.locker.LockerClient;
import loomd.locker.LockerFixture;
import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.posix.PosixException;
import loomd.posix.Processes;
import loomd.testkit.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static loomd.test.locker.LockProbe.writeLockable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store's temp-roots file after a locker kill -9, with this test acting as a collector that holds gc.lock
 * meanwhile: the file is locked again once gc.lock is free; if the collector removed the (unlocked) file, the
 * next root fails saying the earlier ones are unprotected, and the one after starts a new file.
 */
class TempRootsRelockTest {
    static final Duration SOON = Duration.ofSeconds(20);

    @RegisterExtension
    final LockerFixture locker = new LockerFixture();

    @TempDir
    Path dir;

    @Test
    void aTempRootsFileIsLockedAgainAfterTheLockerDiesOrItsLossIsReported() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state"));
        LockerClient client = locker.client();
        try (TempRoots roots = new TempRoots(state, new LockerFileLocker(client), "session")) {
            roots.addTempRoot("/gnu/store/aaaa-one");
            Path file = roots.file();
            assertTrue(Poll.until(SOON, () -> !writeLockable(file)), "the session holds its file");

            int gc = collectorTakesGcLock(state);
            killLocker(client);
            assertTrue(Poll.until(SOON, () -> writeLockable(file)), "the dead locker's lock is gone");
            assertTrue(Poll.until(SOON, () -> client.generation() == 2), "a new locker was started");
            Fds.close(gc);
            assertTrue(Poll.until(SOON, () -> !writeLockable(file)),
                    "re-locked through the new locker once gc.lock was free");
            roots.addTempRoot("/gnu/store/bbbb-two");
            assertEquals("/gnu/store/aaaa-one\0/gnu/store/bbbb-two\0", Files.readString(file, StandardCharsets.UTF_8));

            gc = collectorTakesGcLock(state);
            killLocker(client);
            assertTrue(Poll.until(SOON, () -> writeLockable(file)));
            assertTrue(Poll.until(SOON, () -> client.generation() == 3));
            Files.delete(file); // what a collector does with an unlocked temp-roots file
            Fds.close(gc);
            StoreException lost = assertThrows(StoreException.class, () -> roots.addTempRoot("/gnu/store/dddd-lost"));
            assertTrue(lost.getMessage().contains("no longer protected"), lost.getMessage());
            roots.addTempRoot("/gnu/store/cccc-three");
            assertEquals("/gnu/store/cccc-three\0", Files.readString(file, StandardCharsets.UTF_8));
            assertTrue(Poll.until(SOON, () -> !writeLockable(file)));
        }
    }

    /** gc.lock exclusive, as a collection holds it (an OFD lock of this process conflicts with the locker's). */
    private static int collectorTakesGcLock(Path state) throws PosixException {
        int fd = Fds.open(GcLock.path(state).toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_CLOEXEC, 0600);
        assertTrue(OfdLocks.tryLock(fd, LockKind.WRITE));
        return fd;
    }

    private static void killLocker(LockerClient client) throws PosixException {
        Processes.kill((int) client.lockerPid(), Processes.SIGKILL);
    }
}
