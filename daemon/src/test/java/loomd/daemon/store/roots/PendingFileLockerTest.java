package loomd.daemon.store.roots;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.store.StoreException;

/** Owners made while the locker starts: a lock waits for it, then holds; a failed start fails the lock with its error. */
class PendingFileLockerTest {
    @TempDir Path state;

    @Test
    void anOwnerMadeBeforeTheLockerLocksOnceItIsUp() throws Exception {
        CompletableFuture<LockerFileLocker> starting = new CompletableFuture<>();
        PendingFileLocker pending = new PendingFileLocker(starting);
        Path file = Files.createFile(state.resolve("f.lock"));
        try (FileLocker.Owner owner = pending.newOwner("early")) {
            assertFalse(owner.isLost());
            CompletableFuture<Boolean> taken = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> taken.complete(owner.tryLock(file, true)));
            assertThrows(TimeoutException.class, () -> taken.get(300, TimeUnit.MILLISECONDS), "waits for the locker");
            try (LockerFileLocker locker = LockerFileLocker.launch(state)) {
                starting.complete(locker);
                assertTrue(taken.get(30, TimeUnit.SECONDS));
                try (FileLocker.Owner other = pending.newOwner("late")) {
                    assertFalse(other.tryLock(file, true), "the early owner holds it, in the locker");
                }
                owner.close();
            }
        }
    }

    @Test
    void aLockerThatDidNotStartFailsTheLockWithItsError() {
        PendingFileLocker pending = new PendingFileLocker(
                CompletableFuture.failedFuture(new IOException("cannot start the locker: no such program")));
        FileLocker.Owner owner = pending.newOwner("doomed");
        StoreException e = assertThrows(StoreException.class, () -> owner.tryLock(state.resolve("g.lock"), false));
        assertTrue(e.getMessage().contains("cannot start the locker: no such program"), e.getMessage());
    }
}
