package loomd.posix;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PeerCredentialsTest {
    @TempDir
    Path dir;

    @Test
    void peerInThisProcess() throws Exception {
        Path socket = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                    SocketChannel accepted = server.accept()) {
                PeerCredentials creds = PeerCredentials.of(accepted);
                assertEquals(new PeerCredentials(Processes.getpid(), Processes.getuid(), Processes.getgid()), creds);
                assertEquals(creds, PeerCredentials.of(client));
            }
        }
    }

    @Test
    void peerIsAnotherProcessRunningAsNobody() throws Exception {
        Path socket = dir.resolve("s");
        java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            java.nio.file.Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            String script = "import socket,sys,time\n"
                    + "s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.recv(1)\n";
            ProcessBuilder pb = Processes.getuid() == 0
                    ? new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "/usr/bin/python3", "-c", script, socket.toString())
                    : new ProcessBuilder("python3", "-c", script, socket.toString());
            Process python = pb.redirectErrorStream(true).start();
            CompletableFuture<SocketChannel> connection = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, r -> Thread.ofPlatform().daemon().start(r));
            python.onExit().thenRun(() -> connection.completeExceptionally(new AssertionError(
                    "python exited early: " + readAll(python))));
            try (SocketChannel accepted = connection.get(20, TimeUnit.SECONDS)) {
                PeerCredentials creds = PeerCredentials.of(accepted);
                assertEquals(python.pid(), creds.pid());
                int expectedUid = Processes.getuid() == 0 ? 65534 : Processes.getuid();
                assertEquals(expectedUid, creds.uid());
                accepted.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
            } finally {
                python.waitFor(10, TimeUnit.SECONDS);
                python.destroyForcibly();
            }
        }
    }

    private static String readAll(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes());
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    @Test
    void notASocket() throws Exception {
        int[] p = Fds.pipe();
        try {
            assertEquals(Errno.ENOTSOCK, assertThrows(PosixException.class, () -> PeerCredentials.of(p[0])).errno());
        } finally {
            Fds.close(p[0]);
            Fds.close(p[1]);
        }
    }
}
