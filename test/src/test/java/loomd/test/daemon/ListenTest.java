package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/** {@code --listen=HOST:PORT} (daemon.md §3.1, §9.16, §9.32): every address of a name, IPv6 literals in brackets. */
class ListenTest {
    @TempDir
    Path root;

    @Test
    void localhostBindsEveryAddressAndBracketedIpv6Works() throws Exception {
        boolean v6 = Arrays.stream(InetAddress.getAllByName("localhost")).anyMatch(a -> a instanceof java.net.Inet6Address);
        int port = DaemonProcess.freePort();
        int port6 = DaemonProcess.freePort();
        try (DaemonProcess d = DaemonProcess.builder(root).args("--listen=localhost:" + port, "--listen=[::1]:" + port6)
                .start()) {
            for (InetAddress a : InetAddress.getAllByName("localhost")) {
                assertServed(a.getHostAddress(), port);
            }
            Assumptions.assumeTrue(v6 || hasIpv6Loopback(), "no IPv6 loopback here");
            assertServed("::1", port6);
            // TCP clients are untrusted: no garbage collection for them.
            try (StoreClient c = StoreClient.connectTcp("127.0.0.1", port, ClientOptions.DEFAULT)) {
                DaemonException e = assertThrows(DaemonException.class,
                        () -> c.collectGarbage(0));
                assertEquals("Garbage collection is disabled for remote hosts.", e.getMessage());
            }
        }
    }

    private static void assertServed(String host, int port) throws Exception {
        try (StoreClient c = StoreClient.connectTcp(host, port, ClientOptions.DEFAULT)) {
            assertFalse(c.isValidPath("/gnu/store/00000000000000000000000000000000-none"), host);
        }
    }

    private static boolean hasIpv6Loopback() {
        try (SocketChannel ignored = SocketChannel.open()) {
            return InetAddress.getByName("::1").isLoopbackAddress();
        } catch (Exception e) {
            return false;
        }
    }
}
