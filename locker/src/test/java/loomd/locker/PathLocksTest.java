package loomd.locker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import loomd.posix.Fds;
import loomd.testkit.Poll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PathLocksTest {
    @RegisterExtension
    static final LockerFixture locker = new LockerFixture();
    static LockerClient client;

    @TempDir
    Path store;

    @BeforeAll
    static void start() {
        client = locker.client();
    }

    @Test
    void locksInSortedOrderAndReleases() throws Exception {
        LockOwner owner = client.newOwner("build");
        List<Path> paths = List.of(store.resolve("c-out"), store.resolve("a-out"), store.resolve("b-out"));
        try (PathLocks locks = PathLocks.lock(client, owner, paths, Wait.WAIT, p -> {}).orElseThrow()) {
            assertEquals(List.of(store.resolve("a-out"), store.resolve("b-out"), store.resolve("c-out")), locks.paths());
            assertEquals(List.of(store.resolve("a-out.lock"), store.resolve("b-out.lock"), store.resolve("c-out.lock")),
                    owner.heldLocks().stream().map(h -> h.file().orElseThrow()).sorted().toList());
            assertTrue(PathLocks.isLockedBy(owner, store.resolve("b-out")));
            assertThrows(LockFailedException.class, () -> PathLocks.lock(client, owner, List.of(store.resolve("b-out")),
                    Wait.TRY, p -> {}));
        }
        assertTrue(owner.heldLocks().isEmpty());
        assertTrue(Files.exists(store.resolve("a-out.lock")), "without deletion the lock files stay");
    }

    @Test
    void tryGivesUpAndReleasesWhatItTook() throws Exception {
        LockOwner other = client.newOwner("other");
        LockOwner build = client.newOwner("build");
        client.lock(other, PathLocks.lockFileOf(store.resolve("b")), LockMode.EXCLUSIVE, Wait.TRY).join().held();
        Optional<PathLocks> none = PathLocks.lock(client, build, List.of(store.resolve("a"), store.resolve("b")),
                Wait.TRY, p -> {});
        assertTrue(none.isEmpty());
        assertTrue(build.heldLocks().isEmpty(), "the lock on a.lock was given back");
        assertTrue(client.lock(client.newOwner("x"), PathLocks.lockFileOf(store.resolve("a")), LockMode.EXCLUSIVE,
                Wait.TRY).join().acquired());
        client.releaseAll(other).join();
    }

    @Test
    void deletionAfterRegistrationMarksTheFileStaleForWaiters() throws Exception {
        Path out = store.resolve("out");
        LockOwner first = client.newOwner("first");
        LockOwner second = client.newOwner("second");
        PathLocks locks = PathLocks.lock(client, first, List.of(out), Wait.WAIT, p -> {}).orElseThrow();
        // Someone opened the old lock file before it was deleted (a waiter does exactly that).
        int early = Fds.open(PathLocks.lockFileOf(out).toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        List<Path> waitedFor = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Optional<PathLocks>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return PathLocks.lock(client, second, List.of(out), Wait.WAIT, waitedFor::add);
            } catch (LockerException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        Thread.sleep(200);
        assertEquals(List.of(out), waitedFor, "the wait message callback ran");
        locks.setDeletion(true);
        locks.release();
        assertEquals(1, Fds.fstat(early).size(), "the old file holds the 'd' mark");
        Fds.close(early);
        PathLocks secondLocks = waiting.get(10, TimeUnit.SECONDS).orElseThrow();
        PathLock.Held held = second.heldLocks().getFirst();
        assertEquals(0, held.sizeAtLock(), "the waiter reopened a fresh lock file");
        assertTrue(Files.exists(PathLocks.lockFileOf(out)));
        secondLocks.release();
    }

    @Test
    void deletionRemovesTheLockFile() throws Exception {
        Path out = store.resolve("gone");
        PathLocks locks = PathLocks.lock(client, client.newOwner("o"), List.of(out), Wait.TRY, p -> {}).orElseThrow();
        locks.setDeletion(true);
        locks.close();
        assertFalse(Files.exists(PathLocks.lockFileOf(out)));
    }

    @Test
    void waitHoldsOnlyThePathsBeforeTheBusyOne() throws Exception {
        LockOwner other = client.newOwner("other");
        LockOwner build = client.newOwner("build");
        Path a = store.resolve("a");
        Path b = store.resolve("b");
        Path c = store.resolve("c");
        PathLock.Held busy = client.lock(other, PathLocks.lockFileOf(b), LockMode.EXCLUSIVE, Wait.TRY).join().held();
        List<Path> waitedFor = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Optional<PathLocks>> locking = CompletableFuture.supplyAsync(() -> {
            try {
                return PathLocks.lock(client, build, List.of(c, b, a), Wait.WAIT, waitedFor::add);
            } catch (LockerException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        Poll.until(Duration.ofSeconds(5), () -> !waitedFor.isEmpty());
        Thread.sleep(100);
        assertEquals(List.of(b), waitedFor);
        assertFalse(locking.isDone());
        assertEquals(List.of(PathLocks.lockFileOf(a)), build.heldLocks().stream().map(h -> h.file().orElseThrow()).toList(),
                "while waiting for b, only a (sorted before it) is held; c was given back");
        assertTrue(client.lock(other, PathLocks.lockFileOf(c), LockMode.EXCLUSIVE, Wait.TRY).join().acquired());
        client.releaseAll(other).join();
        PathLocks locks = locking.get(10, TimeUnit.SECONDS).orElseThrow();
        assertEquals(3, build.heldLocks().size());
        locks.release();
        assertTrue(build.heldLocks().isEmpty());
        assertTrue(busy.acquired());
    }
}
