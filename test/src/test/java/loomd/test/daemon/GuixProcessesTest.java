package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;
import loomd.testkit.Poll;

/**
 * With {@code --session-markers}, each session shows up as {@code guix processes} looks for
 * upstream's: a process named guix-daemon whose argv[1] is the client's pid; it goes away with
 * the session, and with the daemon even when it is killed (the spawner starts the markers).
 */
class GuixProcessesTest {
    @RegisterExtension
    final DaemonFixture daemon = new DaemonFixture(b -> b.args("--session-markers"));

    static List<ProcessHandle> markersFor(long clientPid) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> a.length > 0 && a[0].equals(Long.toString(clientPid)))
                        .orElse(false))
                .filter(p -> p.info().commandLine().orElse("").contains("sleep")
                        || readArgv0(p).equals("guix-daemon"))
                .toList();
    }

    static String readArgv0(ProcessHandle p) {
        try {
            byte[] cmdline = java.nio.file.Files.readAllBytes(Path.of("/proc/" + p.pid() + "/cmdline"));
            int end = 0;
            while (end < cmdline.length && cmdline[end] != 0) end++;
            String argv0 = new String(cmdline, 0, end);
            return Path.of(argv0).getFileName().toString();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    @Test
    void sessionsAppearAsGuixDaemonProcesses() throws Exception {
        long me = ProcessHandle.current().pid();
        try (StoreClient c = daemon.client()) {
            c.isValidPath("/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt");
            List<ProcessHandle> markers = markersFor(me);
            assertTrue(markers.stream().anyMatch(p -> readArgv0(p).equals("guix-daemon")),
                    "a guix-daemon process with argv[1] = " + me);
        }
        Poll.until(Duration.ofSeconds(5), () -> markersFor(me).isEmpty());
        assertFalse(markersFor(me).stream().anyMatch(ProcessHandle::isAlive), "marker gone with the session");
    }

    @Test
    void markersDoNotOutliveAKilledDaemon() throws Exception {
        long me = ProcessHandle.current().pid();
        try (StoreClient c = daemon.client()) {
            c.isValidPath("/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt");
            List<ProcessHandle> markers = markersFor(me);
            assertFalse(markers.isEmpty(), "a marker for this session");
            daemon.process().process().destroyForcibly();
            for (ProcessHandle marker : markers) {
                marker.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS); // a timeout fails the test
            }
        }
    }
}
