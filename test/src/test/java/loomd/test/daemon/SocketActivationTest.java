package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/**
 * The test plays systemd: a python launcher binds and listens on the Unix socket, puts it on
 * fd 3, sets LISTEN_FDS=1 and LISTEN_PID to the pid that then execs the daemon. The daemon must
 * serve on that socket (its own --listen is ignored) and keep logging to stderr.
 */
class SocketActivationTest {
    static final String LAUNCHER = """
            import os, socket, sys
            path = sys.argv[1]
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(16)
            os.dup2(s.fileno(), 3)
            os.set_inheritable(3, True)
            os.environ["LISTEN_FDS"] = "1"
            os.execvp("sh", ["sh", "-c", 'export LISTEN_PID=$$; exec "$@"', "sh"] + sys.argv[2:])
            """;

    @TempDir Path root;

    @Test
    void servesOnTheActivatedSocket() throws IOException {
        Path launcher = root.resolve("launch.py");
        Files.writeString(launcher, LAUNCHER);
        Path socket = root.resolve("daemon.sock");
        try (DaemonProcess daemon = DaemonProcess.builder(root)
                .wrapper("python3", launcher.toString(), socket.toString())
                .start()) {
            try (StoreClient c = StoreClient.connectUnix(socket, ClientOptions.DEFAULT)) {
                String p = c.addTextToStore("activated.txt", "hi\n", List.of());
                assertTrue(c.isValidPath(p));
            }
            assertTrue(daemon.log().contains("socket-activated with 1 socket(s)"), daemon.log());
            assertTrue(daemon.log().contains("accepted connection from pid"), "stderr still logs: " + daemon.log());
        }
    }
}
