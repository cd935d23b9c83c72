package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.test.support.DaemonProcess;

/**
 * The daemon starts the native spawner once at startup (next to the locker) and never leaves it
 * behind: not after SIGTERM, not after SIGKILL. A spawner that cannot start stops the startup
 * with a clear error.
 */
class DaemonChildrenTest {
    @TempDir Path root;

    static List<ProcessHandle> spawners(DaemonProcess daemon) {
        return daemon.process().children()
                .filter(p -> p.info().command().orElse("").contains("loomd-spawner"))
                .toList();
    }

    @Test
    void spawnerDiesWithAKilledDaemon() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.builder(root).start()) {
            List<ProcessHandle> spawners = spawners(daemon);
            assertEquals(1, spawners.size(), "one spawner child: " + daemon.process().children().toList());
            assertTrue(daemon.log().contains("spawner started (pid " + spawners.get(0).pid() + ")"), daemon.log());
            daemon.process().destroyForcibly();
            assertTrue(daemon.process().waitFor(10, TimeUnit.SECONDS));
            spawners.get(0).onExit().get(10, TimeUnit.SECONDS); // a TimeoutException fails the test
            assertFalse(spawners.get(0).isAlive(), "the spawner went away with the daemon");
        }
    }

    @Test
    void spawnerStopsWithATerminatedDaemon() throws Exception {
        DaemonProcess daemon = DaemonProcess.builder(root).start();
        ProcessHandle spawner = spawners(daemon).get(0);
        daemon.close();
        spawner.onExit().get(10, TimeUnit.SECONDS);
        assertFalse(spawner.isAlive());
        assertTrue(daemon.log().contains("stopped"), daemon.log());
        assertFalse(daemon.log().contains("the spawner is gone"), "a deliberate close is not an error: " + daemon.log());
        assertFalse(daemon.log().contains("exited unexpectedly"), "the locker is closed, not killed: " + daemon.log());
    }

    @Test
    void aSpawnerThatCannotStartIsAClearStartupError() throws IOException {
        Path notExecutable = Files.writeString(root.resolve("not-a-spawner"), "");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> DaemonProcess.builder(root.resolve("store")).args("--spawner=" + notExecutable).start());
        assertTrue(e.getMessage().contains("error: cannot start the spawner: spawner binary " + notExecutable
                + " is not an executable file"), e.getMessage());
        assertTrue(e.getMessage().contains("exited with status 1"), e.getMessage());
    }
}
