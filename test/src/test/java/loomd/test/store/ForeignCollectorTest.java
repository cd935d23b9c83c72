package loomd.test.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The temp-roots contract seen by a foreign collector working as upstream's GC does (classic fcntl
 * locks: gc.lock exclusive, then each temp-roots file tried exclusive, else shared-locked and read,
 * all held until it is done): it finds every root of the daemon's sessions, and an add made while it
 * runs (its root written without the file's exclusive lock, gc.lock then probed) waits until it has
 * finished, so the add's validity check comes after the collector's deletions.
 */
class ForeignCollectorTest {
    private static final String UPSTREAM_GC = """
            import fcntl, os, sys
            gc = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.lockf(gc, fcntl.LOCK_EX)
            held = []
            for name in sorted(os.listdir(sys.argv[2])):
                fd = os.open(os.path.join(sys.argv[2], name), os.O_RDWR)
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    print('stale ' + name, flush=True)
                    continue
                except OSError:
                    pass
                fcntl.lockf(fd, fcntl.LOCK_SH)
                held.append(fd)
                data = b''
                while True:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        break
                    data += chunk
                for root in data.split(b'\\0')[:-1]:
                    print('root ' + root.decode(), flush=True)
            print('collecting', flush=True)
            sys.stdin.read()
            """;

    @TempDir Path dir;

    @Test
    void aForeignCollectorSeesEveryRootAndAnAddDuringItWaitsForItsEnd() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("d")).start();
                StoreClient session = StoreClient.connectUnix(daemon.socketPath(), ClientOptions.DEFAULT)) {
            List<String> before = new ArrayList<>();
            for (int i = 0; i < 20; i++) before.add(session.addTextToStore("before-" + i, "before " + i, List.of()));
            Process gc = new ProcessBuilder("python3", "-c", UPSTREAM_GC, daemon.stateDir().resolve("gc.lock").toString(),
                    daemon.stateDir().resolve("temproots").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                var out = new BufferedReader(new InputStreamReader(gc.getInputStream(), StandardCharsets.UTF_8));
                List<String> roots = new ArrayList<>();
                for (String line; !(line = out.readLine()).equals("collecting"); ) {
                    assertFalse(line.startsWith("stale"), "every file of the live daemon is locked: " + line);
                    roots.add(line.substring("root ".length()));
                }
                assertTrue(roots.containsAll(before), "the session's roots, all seen: " + roots);
                var during = CompletableFuture.supplyAsync(() -> {
                    try {
                        return session.addTextToStore("during", "added while the collector runs", List.of());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(700);
                assertFalse(during.isDone(), "the add waits for the collector");
                gc.getOutputStream().close();
                String path = during.get(30, TimeUnit.SECONDS);
                assertTrue(session.isValidPath(path));
                assertEquals(0, gc.waitFor());
            } finally {
                gc.destroyForcibly();
            }
        }
    }
}
