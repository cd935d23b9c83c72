package loomd.locker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.testkit.Poll;
import loomd.testkit.Stopwatch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LockerClientTest {
    @RegisterExtension
    static final LockerFixture locker = new LockerFixture();
    static LockerClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        client = locker.client();
    }

    static PathLock get(CompletableFuture<PathLock> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void launchLeavesNoSocketBehind() throws Exception {
        try (var entries = Files.list(locker.runtimeDir())) {
            // What stays is the private directory holding the native binary, no socket directory.
            assertEquals(List.of(), entries.filter(p -> !p.getFileName().toString().equals(LockerProgram.PRIVATE_DIR))
                    .toList());
        }
    }

    @Test
    void theLockerRunsInItsOwnSession() throws Exception {
        long pid = client.lockerPid();
        assertEquals(pid, sessionOf(pid), "the locker leads its own session");
        assertTrue(sessionOf(ProcessHandle.current().pid()) != pid);
    }

    private static long sessionOf(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[3]);
    }

    @Test
    void exclusiveExcludesAnotherOwner() throws Exception {
        LockOwner a = client.newOwner("a");
        LockOwner b = client.newOwner("b");
        Path file = dir.resolve("x.lock");
        PathLock held = get(client.lock(a, file, LockMode.EXCLUSIVE, Wait.TRY));
        assertTrue(held.acquired());
        assertTrue(a.holds(file));
        PathLock busy = get(client.lock(b, file, LockMode.EXCLUSIVE, Wait.TRY));
        assertEquals(new PathLock.Busy(b, java.util.Optional.of(file), LockMode.EXCLUSIVE, -1), busy);
        assertFalse(get(client.lock(b, file, LockMode.SHARED, Wait.TRY)).acquired());
        client.unlock(held).get(5, TimeUnit.SECONDS);
        assertFalse(a.holds(file));
        assertTrue(get(client.lock(b, file, LockMode.EXCLUSIVE, Wait.TRY)).acquired());
        client.releaseAll(b).get(5, TimeUnit.SECONDS);
        assertTrue(Files.exists(file), "a plain unlock leaves the file");
    }

    @Test
    void sharedCoexistsAndExcludesExclusive() throws Exception {
        LockOwner a = client.newOwner("a");
        LockOwner b = client.newOwner("b");
        LockOwner c = client.newOwner("c");
        Path file = dir.resolve("gc.lock");
        assertTrue(get(client.lock(a, file, LockMode.SHARED, Wait.TRY)).acquired());
        assertTrue(get(client.lock(b, file, LockMode.SHARED, Wait.TRY)).acquired());
        assertFalse(get(client.lock(c, file, LockMode.EXCLUSIVE, Wait.TRY)).acquired());
        for (LockOwner o : List.of(a, b, c)) {
            client.releaseAll(o).get(5, TimeUnit.SECONDS);
        }
    }

    /** gc.lock's readers/writer pattern and the temp-roots upgrade: shared holders block an upgrade until they go. */
    @Test
    void upgradeWaitsForReadersAndDowngradeNeverWaits() throws Exception {
        LockOwner session = client.newOwner("session");
        LockOwner gc = client.newOwner("gc");
        Path file = dir.resolve("temproots-file");
        PathLock.Held mine = get(client.lock(session, file, LockMode.SHARED, Wait.TRY)).held();
        PathLock.Held theirs = get(client.lock(gc, file, LockMode.SHARED, Wait.TRY)).held();
        assertFalse(get(client.relock(mine, LockMode.EXCLUSIVE, Wait.TRY)).acquired());
        CompletableFuture<PathLock> upgrade = client.relock(mine, LockMode.EXCLUSIVE, Wait.WAIT);
        Thread.sleep(200);
        assertFalse(upgrade.isDone(), "the upgrade waits while the collector reads");
        client.unlock(theirs).get(5, TimeUnit.SECONDS);
        PathLock.Held exclusive = get(upgrade).held();
        assertEquals(LockMode.EXCLUSIVE, exclusive.mode());
        assertEquals(LockMode.EXCLUSIVE, session.heldLocks().getFirst().mode());
        assertFalse(get(client.lock(gc, file, LockMode.SHARED, Wait.TRY)).acquired());
        PathLock.Held shared = get(client.relock(exclusive, LockMode.SHARED, Wait.TRY)).held();
        assertEquals(LockMode.SHARED, shared.mode());
        assertTrue(get(client.lock(gc, file, LockMode.SHARED, Wait.TRY)).acquired());
        client.releaseAll(session).get(5, TimeUnit.SECONDS);
        client.releaseAll(gc).get(5, TimeUnit.SECONDS);
    }

    @Test
    void releasingAnOwnerWithAPendingUpgradeFreesItsLockAtOnce() throws Exception {
        LockOwner session = client.newOwner("session");
        LockOwner gc = client.newOwner("gc");
        Path file = dir.resolve("upgrade-then-release");
        PathLock.Held mine = get(client.lock(session, file, LockMode.SHARED, Wait.TRY)).held();
        PathLock.Held theirs = get(client.lock(gc, file, LockMode.SHARED, Wait.TRY)).held();
        CompletableFuture<PathLock> upgrade = client.relock(mine, LockMode.EXCLUSIVE, Wait.WAIT);
        awaitStats(s -> s.waitingRequests() == 1);
        client.releaseAll(session).get(5, TimeUnit.SECONDS);
        assertThrows(CancellationException.class, () -> upgrade.get(5, TimeUnit.SECONDS));
        assertTrue(get(client.relock(theirs, LockMode.EXCLUSIVE, Wait.TRY)).acquired(),
                "the session's shared lock is gone although its upgrade was still waiting");
        client.releaseAll(gc).get(5, TimeUnit.SECONDS);
    }

    @Test
    void waitCompletesWhenTheHolderReleases() throws Exception {
        LockOwner a = client.newOwner("a");
        LockOwner b = client.newOwner("b");
        Path file = dir.resolve("w.lock");
        PathLock held = get(client.lock(a, file, LockMode.EXCLUSIVE, Wait.WAIT));
        CompletableFuture<PathLock> waiting = client.lock(b, file, LockMode.EXCLUSIVE, Wait.WAIT);
        Thread.sleep(150);
        assertFalse(waiting.isDone());
        Stopwatch released = Stopwatch.start();
        client.unlock(held);
        assertTrue(waiting.get(Stopwatch.PATIENCE.toSeconds(), TimeUnit.SECONDS).acquired());
        released.assertPrompt("handover to the waiter");
        client.releaseAll(b).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aWaitingRequestDoesNotDelayOthers() throws Exception {
        LockOwner a = client.newOwner("a");
        LockOwner b = client.newOwner("b");
        Path contended = dir.resolve("contended.lock");
        get(client.lock(a, contended, LockMode.EXCLUSIVE, Wait.TRY));
        List<CompletableFuture<PathLock>> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiters.add(client.lock(client.newOwner("w" + i), contended, LockMode.EXCLUSIVE, Wait.WAIT));
        }
        // Were the unrelated request queued behind the waiters, it would wait as long as they do: for ever.
        Stopwatch start = Stopwatch.start();
        PathLock other = client.lock(b, dir.resolve("other.lock"), LockMode.EXCLUSIVE, Wait.WAIT)
                .get(Stopwatch.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        start.assertPrompt("an unrelated lock while 4 requests waited");
        assertTrue(other.acquired());
        assertTrue(waiters.stream().noneMatch(CompletableFuture::isDone));
        client.releaseAll(a).get(5, TimeUnit.SECONDS);
        // The waiters now take the lock one after another: each releases as soon as it has it.
        for (int granted = 0; granted < waiters.size(); granted++) {
            PathLock next = (PathLock) CompletableFuture.anyOf(waiters.stream()
                    .filter(w -> !w.isDone() || w.join().owner().heldLocks().size() == 1)
                    .toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            client.releaseAll(next.owner()).get(5, TimeUnit.SECONDS);
        }
        client.releaseAll(b).get(5, TimeUnit.SECONDS);
    }

    @Test
    void releaseAllCancelsWaitingRequests() throws Exception {
        LockOwner a = client.newOwner("a");
        LockOwner b = client.newOwner("b");
        Path file = dir.resolve("r.lock");
        get(client.lock(a, file, LockMode.EXCLUSIVE, Wait.TRY));
        CompletableFuture<PathLock> waiting = client.lock(b, file, LockMode.SHARED, Wait.WAIT);
        Thread.sleep(100);
        assertEquals(0, client.releaseAll(b).get(5, TimeUnit.SECONDS));
        assertThrows(CancellationException.class, () -> waiting.get(5, TimeUnit.SECONDS));
        assertEquals(1, client.releaseAll(a).get(5, TimeUnit.SECONDS));
    }

    @Test
    void cancellingTheFutureWithdrawsTheRequest() throws Exception {
        LockOwner a = client.newOwner("a");
        LockOwner b = client.newOwner("b");
        Path file = dir.resolve("c.lock");
        get(client.lock(a, file, LockMode.EXCLUSIVE, Wait.TRY));
        CompletableFuture<PathLock> waiting = client.lock(b, file, LockMode.EXCLUSIVE, Wait.WAIT);
        Thread.sleep(100);
        waiting.cancel(true);
        awaitStats(s -> s.waitingRequests() == 0);
        client.releaseAll(a).get(5, TimeUnit.SECONDS);
        assertTrue(b.heldLocks().isEmpty());
    }

    @Test
    void anOwnerCannotTakeTheSameFileTwice() throws Exception {
        LockOwner a = client.newOwner("a");
        Path file = dir.resolve("twice.lock");
        get(client.lock(a, file, LockMode.SHARED, Wait.TRY));
        CompletionException e = assertThrows(CompletionException.class,
                () -> client.lock(a, file, LockMode.EXCLUSIVE, Wait.WAIT).join());
        LockFailedException failure = assertInstanceOf(LockFailedException.class, e.getCause());
        assertTrue(failure.isSelfDeadlock(), failure.getMessage());
        assertTrue(failure.getMessage().contains("self-held lock"));
        client.releaseAll(a).get(5, TimeUnit.SECONDS);
        PathLock again = get(client.lock(a, file, LockMode.EXCLUSIVE, Wait.TRY));
        assertTrue(again.acquired(), "after release-all the owner may take it again");
        client.unlock(again).get(5, TimeUnit.SECONDS);
        assertTrue(get(client.lock(a, file, LockMode.SHARED, Wait.TRY)).acquired(), "and after unlock");
        client.releaseAll(a).get(5, TimeUnit.SECONDS);
    }

    @Test
    void noCreateReportsAMissingFile() throws Exception {
        LockOwner a = client.newOwner("a");
        CompletionException e = assertThrows(CompletionException.class, () -> client.lock(a,
                dir.resolve("missing"), LockMode.EXCLUSIVE, Wait.TRY, LockFileOption.NO_CREATE).join());
        assertTrue(assertInstanceOf(LockFailedException.class, e.getCause()).isNoSuchFile());
        assertFalse(Files.exists(dir.resolve("missing")));
        CompletionException bad = assertThrows(CompletionException.class, () -> client.lock(a,
                dir.resolve("no-such-dir/x.lock"), LockMode.EXCLUSIVE, Wait.TRY).join());
        assertTrue(bad.getCause().getMessage().contains("no-such-dir"), bad.getCause().getMessage());
    }

    @Test
    void lockFdTakesOverTheDescriptor() throws Exception {
        LockOwner a = client.newOwner("a");
        LockOwner b = client.newOwner("b");
        Path file = Files.createFile(dir.resolve("by-fd"));
        int before = Fds.openFdCount();
        int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
        PathLock held = get(client.lockFd(a, fd, LockMode.EXCLUSIVE, Wait.TRY));
        assertTrue(held.acquired());
        assertTrue(held.file().isEmpty());
        assertEquals(before, Fds.openFdCount(), "the daemon's copy is closed once the locker answered");
        assertFalse(get(client.lock(b, file, LockMode.SHARED, Wait.TRY)).acquired());
        client.releaseAll(a).get(5, TimeUnit.SECONDS);
        assertTrue(get(client.lock(b, file, LockMode.SHARED, Wait.TRY)).acquired());
        client.releaseAll(b).get(5, TimeUnit.SECONDS);
    }

    @Test
    void locksExcludeThisProcessesOwnOfdLocks() throws Exception {
        Path file = Files.createFile(dir.resolve("local"));
        int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
        try {
            LockOwner a = client.newOwner("a");
            get(client.lock(a, file, LockMode.EXCLUSIVE, Wait.TRY));
            assertFalse(OfdLocks.tryLock(fd, LockKind.READ));
            client.releaseAll(a).get(5, TimeUnit.SECONDS);
            assertTrue(OfdLocks.tryLock(fd, LockKind.WRITE));
            assertFalse(get(client.lock(a, file, LockMode.SHARED, Wait.TRY)).acquired());
        } finally {
            Fds.close(fd);
        }
    }

    static void awaitStats(Predicate<LockerClient.Stats> condition) throws Exception {
        LockerClient.Stats s = Poll.until(Duration.ofSeconds(5), () -> client.stats().get(5, TimeUnit.SECONDS),
                condition);
        assertTrue(condition.test(s), "locker state never matched: " + s);
    }
}
