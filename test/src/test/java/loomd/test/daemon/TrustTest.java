package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;

/**
 * Trusted (uid 0) versus untrusted callers: an untrusted client runs as uid 65534 through
 * setpriv, speaking the protocol from a small python script.
 */
class TrustTest {
    static final String CLIENT = """
            import socket, struct, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            def w(*vals): s.sendall(b"".join(struct.pack("<Q", v) for v in vals))
            def n(k):
                b = b""
                while len(b) < k:
                    c = s.recv(k - len(b))
                    if not c: raise EOFError()
                    b += c
                return b
            def r(): return struct.unpack("<Q", n(8))[0]
            def rs():
                k = r(); return n(k + (-k) % 8)[:k].decode()
            def reply():
                code = r()
                if code == 0x616c7473: return "LAST"
                if code == 0x63787470:
                    m = rs(); r(); return "ERROR " + m
                return "CODE %x" % code
            w(0x6e697863); r(); r(); w(0x164, 0, 1)
            print("handshake", reply())
            w(35, 0, 1)
            print("verify-repair", reply())
            w(9, 0, 1)
            print("build-repair", reply())
            """;

    /** A fresh daemon per test; uid 65534 must reach its socket, so its directory is 0755. */
    @RegisterExtension
    final DaemonFixture daemon = new DaemonFixture(b -> {
        Files.setPosixFilePermissions(b.root(), PosixFilePermissions.fromString("rwxr-xr-x"));
        return b;
    });

    @Test
    void rootIsTrusted() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs to run as root");
        try (StoreClient c = daemon.client()) {
            assertFalse(c.verifyStore(false, true), "trusted: the privilege check passes and no errors remain");
        }
        assertTrue(daemon.process().log().contains("user root"), daemon.process().log());
    }

    @Test
    void otherUsersAreNot() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to switch uid");
        Path script = daemon.process().root().resolve("client.py");
        Files.writeString(script, CLIENT);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        // The system python: a per-user one (pyenv under /root) is not readable by uid 65534.
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                python, script.toString(), daemon.process().socketPath().toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("""
                handshake LAST
                verify-repair ERROR you are not privileged to repair paths
                build-repair ERROR repairing is a privileged operation
                """, output);
        String log = daemon.process().log();
        assertTrue(log.contains("user nobody") || log.contains("user 65534"), log);
        Path perUser = daemon.process().stateDir().resolve("profiles/per-user/nobody");
        assertTrue(Files.isDirectory(perUser), "the session start creates the user's profile directory");
        assertEquals(65534, Files.getAttribute(perUser, "unix:uid"));
    }
}
