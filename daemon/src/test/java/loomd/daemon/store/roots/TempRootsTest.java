package loomd.daemon.store.roots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session temp-roots file seen by an upstream collector (classic {@code lockf} locks, reading every
 * file of {@code temproots/} whatever its name): it is private, live (locked) and readable, a session's
 * append and {@code syncWithGC} wait while that collector holds its locks. Without a collector an
 * append asks the locker nothing, and a root already in the file is not appended again.
 */
class TempRootsTest {
    private static final String UPSTREAM_GC = """
            import fcntl, os, sys
            gc = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.lockf(gc, fcntl.LOCK_EX)
            print('gc', flush=True)
            for name in os.listdir(sys.argv[2]):
                fd = os.open(os.path.join(sys.argv[2], name), os.O_RDWR)
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    print('stale ' + name, flush=True)
                except OSError:
                    fcntl.lockf(fd, fcntl.LOCK_SH)
                    print('live ' + name + ' ' + repr(os.read(fd, 100)), flush=True)
            sys.stdin.read()
            """;

    @TempDir Path state;

    /** The real locker, counting the lock requests made through its owners. */
    static final class CountingLocker implements FileLocker, AutoCloseable {
        final LockerFileLocker real;
        final AtomicInteger requests = new AtomicInteger();

        CountingLocker(Path runtimeDir) {
            this.real = LockerFileLocker.launch(runtimeDir);
        }

        @Override
        public Owner newOwner(String label) {
            Owner owner = real.newOwner(label);
            return new Owner() {
                @Override
                public void lock(Path file, boolean exclusive) {
                    requests.incrementAndGet();
                    owner.lock(file, exclusive);
                }

                @Override
                public boolean tryLock(Path file, boolean exclusive) {
                    requests.incrementAndGet();
                    return owner.tryLock(file, exclusive);
                }

                @Override
                public boolean isLost() {
                    return owner.isLost();
                }

                @Override
                public void onLost(Runnable action) {
                    owner.onLost(action);
                }

                @Override
                public void close() {
                    owner.close();
                }
            };
        }

        @Override
        public PathLock lockPaths(java.util.Collection<Path> physicalPaths) {
            return real.lockPaths(physicalPaths);
        }

        @Override
        public void close() {
            real.close();
        }
    }

    @Test
    void withoutACollectorAnAppendAsksTheLockerNothingAndARootIsWrittenOnce() throws Exception {
        try (CountingLocker locker = new CountingLocker(state);
                TempRoots roots = new TempRoots(state, locker, "session")) {
            roots.addTempRoot("/gnu/store/0000-first");
            int afterCreation = locker.requests.get();
            assertEquals(2, afterCreation, "creating the file: gc.lock shared, then the file shared");
            StringBuilder expected = new StringBuilder("/gnu/store/0000-first\0");
            for (int i = 1; i <= 200; i++) {
                roots.addTempRoot("/gnu/store/" + i + "-root");
                roots.addTempRoot("/gnu/store/0000-first");
                expected.append("/gnu/store/").append(i).append("-root\0");
            }
            assertEquals(afterCreation, locker.requests.get(), "no locker round trip per root");
            assertEquals(expected.toString(), Files.readString(roots.file()), "each root once, in order");
        }
    }

    @Test
    void anUpstreamCollectorSeesALiveFileAndSessionsWaitForIt() throws Exception {
        try (CountingLocker locker = new CountingLocker(state);
                TempRoots roots = new TempRoots(state, locker, "session")) {
            roots.addTempRoot("/gnu/store/4444-z");
            Path file;
            try (Stream<Path> s = Files.list(state.resolve("temproots"))) {
                file = s.findFirst().orElseThrow();
            }
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            Process python = new ProcessBuilder("python3", "-c", UPSTREAM_GC, GcLock.path(state).toString(),
                    file.getParent().toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                var out = new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("gc", out.readLine());
                assertEquals("live " + file.getFileName() + " b'/gnu/store/4444-z\\x00'", out.readLine());
                int before = locker.requests.get();
                AtomicInteger waited = new AtomicInteger();
                var sync = CompletableFuture.runAsync(() -> GcLock.syncWithGC(state, locker.real, waited::incrementAndGet),
                        r -> Thread.ofVirtual().start(r));
                var append = CompletableFuture.runAsync(() -> roots.addTempRoot("/gnu/store/5555-later"),
                        r -> Thread.ofVirtual().start(r));
                Thread.sleep(200);
                assertFalse(sync.isDone(), "syncWithGC waits for the upstream collector");
                assertFalse(append.isDone(), "an append waits while the collector holds gc.lock and its file");
                assertEquals(before + 1, locker.requests.get(), "the slow path: the file's exclusive lock, awaited");
                assertEquals(1, waited.get(), "the wait is announced once");
                python.getOutputStream().close();
                sync.get(10, TimeUnit.SECONDS);
                append.get(10, TimeUnit.SECONDS);
                assertEquals("/gnu/store/4444-z\0/gnu/store/5555-later\0", Files.readString(file));
                assertEquals(before + 2, locker.requests.get(), "then back to shared");
            } finally {
                python.destroyForcibly();
            }
        }
    }
}
