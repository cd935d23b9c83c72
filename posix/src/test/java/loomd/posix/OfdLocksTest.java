package loomd.posix;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OfdLocksTest {
    /** Holds a classic POSIX lock (lockf) in another process: prints "locked" or "busy", then holds until stdin closes. */
    static final String PYTHON_LOCKF = """
            import fcntl, os, sys
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            op = fcntl.LOCK_EX if sys.argv[2] == 'ex' else fcntl.LOCK_SH
            try:
                fcntl.lockf(fd, op | fcntl.LOCK_NB)
                print('locked', flush=True)
            except OSError:
                print('busy', flush=True)
            sys.stdin.read()
            """;

    @TempDir
    Path dir;
    Path file;
    int a;
    int b;

    @BeforeEach
    void open() throws Exception {
        file = dir.resolve("f.lock");
        a = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_CLOEXEC, 0600);
        b = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
    }

    @AfterEach
    void close() {
        Fds.closeQuietly(a);
        Fds.closeQuietly(b);
    }

    @Test
    void exclusiveExcludesWithinOneProcess() throws Exception {
        assertTrue(OfdLocks.tryLock(a, LockKind.WRITE));
        assertFalse(OfdLocks.tryLock(b, LockKind.WRITE));
        assertFalse(OfdLocks.tryLock(b, LockKind.READ));
        assertEquals(Optional.of(new OfdLocks.Holder(-1, LockKind.WRITE)), OfdLocks.query(b, LockKind.READ));
        OfdLocks.unlock(a);
        assertEquals(Optional.empty(), OfdLocks.query(b, LockKind.WRITE));
        assertTrue(OfdLocks.tryLock(b, LockKind.WRITE));
    }

    @Test
    void sharedCoexistsAndBlocksUpgrade() throws Exception {
        assertTrue(OfdLocks.tryLock(a, LockKind.READ));
        assertTrue(OfdLocks.tryLock(b, LockKind.READ));
        assertFalse(OfdLocks.tryLock(a, LockKind.WRITE), "upgrade must wait for the other reader");
        OfdLocks.unlock(b);
        assertTrue(OfdLocks.tryLock(a, LockKind.WRITE));
        assertTrue(OfdLocks.tryLock(a, LockKind.READ), "downgrade never waits");
        assertTrue(OfdLocks.tryLock(b, LockKind.READ));
    }

    @Test
    void closingAnotherFdOfTheFileKeepsTheLock() throws Exception {
        assertTrue(OfdLocks.tryLock(a, LockKind.WRITE));
        int c = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        Fds.close(c);
        assertFalse(OfdLocks.tryLock(b, LockKind.WRITE));
        Fds.close(a);
        a = -1;
        assertTrue(OfdLocks.tryLock(b, LockKind.WRITE), "closing the last fd of the description drops the lock");
    }

    @Test
    void lockWaitRefusesVirtualThreads() throws Exception {
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                OfdLocks.lockWait(a, LockKind.WRITE);
                thrown.complete(null);
            } catch (Throwable t) {
                thrown.complete(t);
            }
        });
        assertTrue(thrown.get(5, TimeUnit.SECONDS) instanceof IllegalStateException);
    }

    @Test
    void lockWaitReturnsWhenTheHolderReleases() throws Exception {
        assertTrue(OfdLocks.tryLock(a, LockKind.WRITE));
        CompletableFuture<Long> acquiredAt = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try {
                OfdLocks.lockWait(b, LockKind.WRITE);
                acquiredAt.complete(System.nanoTime());
            } catch (Throwable t) {
                acquiredAt.completeExceptionally(t);
            }
        });
        Thread.sleep(100);
        assertFalse(acquiredAt.isDone());
        long released = System.nanoTime();
        OfdLocks.unlock(a);
        long waited = acquiredAt.get(5, TimeUnit.SECONDS) - released;
        assertTrue(waited < TimeUnit.MILLISECONDS.toNanos(500), "woke " + waited + " ns after release");
    }

    @Test
    void conflictsBothWaysWithLockfInAnotherProcess() throws Exception {
        assertTrue(OfdLocks.tryLock(a, LockKind.WRITE));
        try (Python python = Python.lockf(file, "ex")) {
            assertEquals("busy", python.firstLine());
        }
        OfdLocks.unlock(a);
        try (Python python = Python.lockf(file, "ex")) {
            assertEquals("locked", python.firstLine());
            assertFalse(OfdLocks.tryLock(a, LockKind.READ));
            Optional<OfdLocks.Holder> holder = OfdLocks.query(a, LockKind.READ);
            assertEquals(Optional.of(new OfdLocks.Holder((int) python.process.pid(), LockKind.WRITE)), holder);
        }
        assertTrue(OfdLocks.tryLock(a, LockKind.READ), "python's lock died with it");
        try (Python python = Python.lockf(file, "sh")) {
            assertEquals("locked", python.firstLine(), "shared OFD and shared lockf coexist");
        }
    }

    @Test
    void badFdIsAnError() {
        PosixException e = assertThrows(PosixException.class, () -> OfdLocks.tryLock(9999, LockKind.READ));
        assertEquals(Errno.EBADF, e.errno());
        assertTrue(e.call().contains("F_OFD_SETLK"));
    }

    record Python(Process process, BufferedReader out) implements AutoCloseable {
        static Python lockf(Path file, String mode) throws Exception {
            Process p = new ProcessBuilder("python3", "-c", PYTHON_LOCKF, file.toString(), mode)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new Python(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        }

        String firstLine() throws Exception {
            return out.readLine();
        }

        @Override
        public void close() throws java.io.IOException {
            process.getOutputStream().close();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

}
