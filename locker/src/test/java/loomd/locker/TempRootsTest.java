package loomd.locker;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TempRootsTest {
    static LockerClient client;

    @TempDir
    Path state;

    @BeforeAll
    static void start() throws Exception {
        client = TestLocker.client();
    }

    @Test
    void sessionFileIsNamedAbovePidMaxAndPrivate() throws Exception {
        TempRoots.SessionFile file = TempRoots.SessionFile.create(client, client.newOwner("s"), state, () -> {});
        long name = Long.parseLong(file.path().getFileName().toString());
        assertTrue(name >= TempRoots.FIRST_NAME && name <= Integer.MAX_VALUE, "name " + name);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path())));
        file.add("/gnu/store/aaaa-x");
        file.add("/gnu/store/bbbb-y");
        assertEquals("/gnu/store/aaaa-x\0/gnu/store/bbbb-y\0", Files.readString(file.path()));
        Path path = file.path();
        file.close();
        assertFalse(Files.exists(path), "the file goes with the session");
    }

    @Test
    void collectorSeesLiveRootsBlocksAppendsAndRemovesStaleFiles() throws Exception {
        LockOwner session = client.newOwner("session");
        TempRoots.SessionFile live = TempRoots.SessionFile.create(client, session, state, () -> {});
        live.add("/gnu/store/1111-live");
        Path stale = TempRoots.directoryOf(state).resolve("12345");
        Files.writeString(stale, "/gnu/store/2222-dead\0");

        List<Path> removed = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> append;
        TempRoots.Collector gc = TempRoots.Collector.start(client, state, () -> {});
        try {
            Set<String> roots = gc.readTempRoots(removed::add);
            assertEquals(Set.of("/gnu/store/1111-live"), roots);
            assertEquals(List.of(stale), removed);
            assertFalse(Files.exists(stale));
            append = CompletableFuture.runAsync(() -> {
                try {
                    live.add("/gnu/store/3333-later");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofVirtual().start(r));
            Thread.sleep(200);
            assertFalse(append.isDone(), "a session cannot add roots while the collector reads its file");

            AtomicInteger waited = new AtomicInteger();
            CompletableFuture<TempRoots.SessionFile> newSession = CompletableFuture.supplyAsync(() -> {
                try {
                    return TempRoots.SessionFile.create(client, client.newOwner("new"), state, waited::incrementAndGet);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofVirtual().start(r));
            Thread.sleep(200);
            assertFalse(newSession.isDone(), "no new temp-roots file while the collector holds gc.lock");
            assertEquals(1, waited.get(), "the wait message was printed once");
            gc.close();
            newSession.get(10, TimeUnit.SECONDS).close();
        } finally {
            gc.close();
        }
        append.get(10, TimeUnit.SECONDS);
        assertTrue(Files.readString(live.path()).endsWith("/gnu/store/3333-later\0"));
        live.close();
    }

    /** An upstream collector (classic lockf) sees loomd's file as live and waits for it; an upstream GC blocks loomd. */
    @Test
    void upstreamCollectorUnderstandsLoomdFiles() throws Exception {
        String upstreamGc = """
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
        try (TempRoots.SessionFile file = TempRoots.SessionFile.create(client, client.newOwner("s"), state, () -> {})) {
            file.add("/gnu/store/4444-z");
            Process python = new ProcessBuilder("python3", "-c", upstreamGc, TempRoots.gcLockOf(state).toString(),
                    TempRoots.directoryOf(state).toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("gc", out.readLine());
                assertEquals("live " + file.path().getFileName() + " b'/gnu/store/4444-z\\x00'", out.readLine());
                AtomicInteger waited = new AtomicInteger();
                CompletableFuture<Void> sync = CompletableFuture.runAsync(() -> {
                    try {
                        TempRoots.syncWithGc(client, client.newOwner("sync"), state, waited::incrementAndGet);
                    } catch (LockerException e) {
                        throw new RuntimeException(e);
                    }
                }, r -> Thread.ofVirtual().start(r));
                Thread.sleep(200);
                assertFalse(sync.isDone(), "syncWithGc waits for the upstream collector");
                assertEquals(1, waited.get());
                python.getOutputStream().close();
                sync.get(10, TimeUnit.SECONDS);
            } finally {
                python.destroyForcibly();
            }
        }
    }
}
