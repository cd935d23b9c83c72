package loomd.daemon.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientWatchTest {
    @TempDir Path dir;

    @Test
    void probeIsAvailableWithTheDaemonsJvmFlags() {
        assertTrue(ClientWatch.available(), "needs --add-opens java.base/sun.nio.ch (surefire argLine)");
    }

    @Test
    void unixHangUpIsSeenWithoutConsumingAnything() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            try (SocketChannel accepted = server.accept()) {
                ClientWatch watch = ClientWatch.of(accepted);
                assertFalse(watch.gone());
                client.close();
                assertTrue(watch.gone());
                assertTrue(accepted.read(ByteBuffer.allocate(1)) < 0, "EOF still there to read");
            }
        }
    }

    @Test
    void tcpHangUpAndUnexpectedDataAreSeen() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            try (SocketChannel accepted = server.accept()) {
                ClientWatch watch = ClientWatch.of(accepted);
                assertFalse(watch.gone());
                client.write(ByteBuffer.wrap(new byte[] {1}));
                long deadline = System.currentTimeMillis() + 2000;
                while (!watch.gone() && System.currentTimeMillis() < deadline) Thread.sleep(5);
                assertTrue(watch.gone(), "data during a work phase counts as a broken client");
                client.close();
            }
        }
    }
}
