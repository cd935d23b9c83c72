package loomd.protocol.client;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * StoreClient over real sockets (Unix and TCP loopback), run on virtual threads, against a peer
 * that plays back a transcript's daemon bytes and records what arrives until the client closes.
 */
class SocketClientTest {
    private static String serve(ServerSocketChannel server, byte[] daemonBytes) throws Exception {
        try (SocketChannel peer = server.accept()) {
            peer.write(ByteBuffer.wrap(daemonBytes));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (peer.read(buf.clear()) >= 0) {
                got.write(buf.array(), 0, buf.position());
            }
            return HexFormat.of().formatHex(got.toByteArray());
        }
    }

    private static void exercise(ServerSocketChannel server, DaemonAddress address) throws Exception {
        Transcript t = TranscriptPeer.load("15-error-not-in-store").transcript;
        try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return serve(server, t.daemonBytes());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, exec);
            exec.submit(() -> {
                try (StoreClient c = StoreClient.connect(address, ClientOptions.DEFAULT.withLog(s -> { }))) {
                    assertTrue(Thread.currentThread().isVirtual());
                    DaemonException e = assertThrows(DaemonException.class, () -> c.isValidPath("/tmp/not-in-store"));
                    assertEquals(1, e.status());
                    assertTrue(c.isValidPath(TranscriptReplayTest.HELLO));
                }
                return null;
            }).get(30, TimeUnit.SECONDS);
            assertEquals(HexFormat.of().formatHex(t.clientBytes()), received.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void overAUnixSocket(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("socket");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            exercise(server, DaemonAddress.parse("unix://" + socket));
        }
    }

    @Test
    void overTcpLoopback() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            exercise(server, DaemonAddress.parse("guix://127.0.0.1:" + port));
        }
    }

    @Test
    void addressParsing() {
        assertEquals(new DaemonAddress.Unix(Path.of("/a/b")), DaemonAddress.parse("/a/b"));
        assertEquals(new DaemonAddress.Unix(Path.of("/a/b")), DaemonAddress.parse("file:///a/b"));
        assertEquals(new DaemonAddress.Tcp("h", 44146), DaemonAddress.parse("guix://h"));
        assertEquals(new DaemonAddress.Unix(Path.of(DaemonAddress.DEFAULT_SOCKET)),
                DaemonAddress.fromEnvironment(java.util.Map.of()));
        assertThrows(IllegalArgumentException.class, () -> DaemonAddress.parse("http://x"));
    }
}
