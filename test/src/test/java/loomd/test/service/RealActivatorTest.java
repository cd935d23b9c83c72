package loomd.test.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;

/**
 * Socket activation by a real activator, not by a test playing one: {@code systemd-socket-activate}
 * binds the socket, waits for the first client and execs {@code bin/loomd} on it (fd 3,
 * {@code LISTEN_FDS=1}, {@code LISTEN_PID} its own pid, kept by the launcher's exec). The client
 * connects before the daemon exists; its request waits in the backlog and is answered.
 */
class RealActivatorTest {
    @TempDir
    Path root;

    @Test
    void activatorRunsTheLauncherOnItsSocket() throws Exception {
        try (Activator a = Activator.start(root, List.of(Activator.launcher().toString(),
                "--store-root=" + root, "--disable-chroot", "--idle-exit=1"))) {
            try (StoreClient c = StoreClient.connectUnix(a.socket(), ClientOptions.DEFAULT)) {
                String p = c.addTextToStore("activated.txt", "real activator\n", List.of());
                assertTrue(c.isValidPath(p));
            }
            // The activator exec'd the launcher, which exec'd java: that process is the daemon, and it
            // leaves by itself, status 0, after a second with nothing to do.
            assertTrue(a.process().waitFor(60, TimeUnit.SECONDS), a.output());
            assertEquals(0, a.process().exitValue(), a.output());
            String log = a.output();
            assertTrue(log.contains("socket-activated with 1 socket(s)"), log);
            assertTrue(log.contains("idle for 1 s, exiting"), log);
        }
    }

    @Test
    void idleExitIsIgnoredWithoutActivation(@TempDir Path plain) throws IOException, InterruptedException {
        var daemon = loomd.test.support.DaemonProcess.builder(plain).args("--disable-chroot", "--idle-exit=1").start();
        try (daemon) {
            TimeUnit.MILLISECONDS.sleep(2_500);
            assertTrue(daemon.isAlive(), daemon.log());
            try (StoreClient c = daemon.client()) {
                assertTrue(c.isValidPath(c.addTextToStore("still.txt", "here\n", List.of())));
            }
            assertTrue(daemon.log().contains("--idle-exit ignored: the daemon was not socket-activated"), daemon.log());
        }
    }
}
