package loomd.daemon.store.roots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import loomd.locker.LockerClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item locks ({@code <path>.lock}) through {@link LockerFileLocker}: an uncontended set is held in
 * the daemon's own process (the locker holds nothing), yet another process's classic {@code lockf}
 * conflicts with it both ways, upstream's deletion protocol still marks the file stale, and a busy
 * lock is awaited in the locker, so a lock held by this daemon's other operation is awaited too.
 */
class ItemLocksTest {
    /** Tries, then holds, argv[1] with a classic lock as upstream's daemon does; answers on stdout. */
    private static final String UPSTREAM_LOCKER = """
            import fcntl, os, sys
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                print('busy', flush=True)
                fcntl.lockf(fd, fcntl.LOCK_EX)
            print('locked size=%d' % os.fstat(fd).st_size, flush=True)
            sys.stdin.read()
            """;

    @TempDir Path dir;
    private LockerClient client;
    private LockerFileLocker locker;
    private Path item;

    @BeforeEach
    void start() throws IOException {
        client = LockerClient.launch(dir);
        locker = new LockerFileLocker(client);
        item = Files.createDirectories(dir.resolve("store")).resolve("0000000000000000000000000000000a-item");
    }

    @AfterEach
    void stop() {
        client.close();
    }

    private Process upstream(Path lockFile) throws IOException {
        return new ProcessBuilder("python3", "-c", UPSTREAM_LOCKER, lockFile.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static BufferedReader out(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private int lockerHeld() {
        return client.stats().join().heldLocks();
    }

    @Test
    void anUncontendedItemLockIsHeldInTheDaemonAndAnotherProcessWaitsForIt() throws Exception {
        Path lockFile = Path.of(item + ".lock");
        Process python;
        try (FileLocker.PathLock lock = locker.lockPaths(List.of(item))) {
            assertEquals(0, lockerHeld(), "no round trip: the locker holds nothing");
            python = upstream(lockFile);
            BufferedReader lines = out(python);
            assertEquals("busy", lines.readLine(), "another process's classic lock conflicts with it");
            lock.setDeletion(true);
            lock.close();
            // Upstream's deletion: the holder waiting on the old file finds it marked and would reopen.
            assertEquals("locked size=1", lines.readLine());
        }
        python.getOutputStream().close();
        assertTrue(python.waitFor(10, TimeUnit.SECONDS));
        assertFalse(Files.exists(lockFile), "deleted once the item was valid");
    }

    @Test
    void aLockHeldByAnotherProcessIsAwaitedInTheLocker() throws Exception {
        Process python = upstream(Path.of(item + ".lock"));
        try {
            assertEquals("locked size=0", out(python).readLine());
            var waiting = CompletableFuture.supplyAsync(() -> locker.lockPaths(List.of(item)),
                    r -> Thread.ofVirtual().start(r));
            Thread.sleep(300);
            assertFalse(waiting.isDone(), "waits while the other process holds it");
            assertEquals(1, client.stats().join().waitingRequests(), "the wait happens in the locker");
            python.getOutputStream().close();
            try (FileLocker.PathLock lock = waiting.get(10, TimeUnit.SECONDS)) {
                assertEquals(1, lockerHeld(), "taken by the locker once free");
            }
        } finally {
            python.destroyForcibly();
        }
    }

    @Test
    void twoOperationsOfThisDaemonExcludeEachOther() throws Exception {
        Path other = item.resolveSibling("0000000000000000000000000000000b-other");
        FileLocker.PathLock first = locker.lockPaths(List.of(item));
        var second = CompletableFuture.supplyAsync(() -> locker.lockPaths(List.of(other, item)),
                r -> Thread.ofVirtual().start(r));
        Thread.sleep(300);
        assertFalse(second.isDone(), "a set including a lock held by this process waits");
        first.close();
        try (FileLocker.PathLock lock = second.get(10, TimeUnit.SECONDS)) {
            assertEquals(2, lockerHeld(), "the busy set went to the locker whole");
        }
        assertEquals(0, lockerHeld(), "the locker handled the unlocks (sent without waiting) first");
        try (FileLocker.PathLock lock = locker.lockPaths(List.of(item, other))) {
            assertEquals(0, lockerHeld(), "free again: both in the daemon, the locker's released");
        }
    }
}
