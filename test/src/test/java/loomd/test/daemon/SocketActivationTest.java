package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;

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

    /** The launcher binds where the daemon would have listened: {@code ROOT/daemon.sock}. */
    @RegisterExtension
    final DaemonFixture daemon = new DaemonFixture(b -> {
        Path launcher = Files.writeString(b.root().resolve("launch.py"), LAUNCHER);
        return b.wrapper("python3", launcher.toString(), b.root().resolve("daemon.sock").toString());
    });

    @Test
    void servesOnTheActivatedSocket() throws IOException {
        try (StoreClient c = daemon.client()) {
            String p = c.addTextToStore("activated.txt", "hi\n", List.of());
            assertTrue(c.isValidPath(p));
        }
        String log = daemon.process().log();
        assertTrue(log.contains("socket-activated with 1 socket(s)"), log);
        assertTrue(log.contains("accepted connection from pid"), "stderr still logs: " + log);
    }
}
