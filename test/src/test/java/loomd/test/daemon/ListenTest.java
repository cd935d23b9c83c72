package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

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
    void aNameBindsEveryAddressItResolvesToAndBracketedIpv6Works() throws Exception {
        Assumptions.assumeTrue(hasIpv6Loopback(), "no IPv6 loopback here");
        // A name with an IPv4 and an IPv6 address, as localhost has on most hosts (the JDK's hosts file).
        Path hosts = Files.writeString(root.resolve("hosts"), "127.0.0.1 two-addresses\n::1 two-addresses\n");
        int port = DaemonProcess.freePort();
        int port6 = DaemonProcess.freePort();
        try (DaemonProcess d = DaemonProcess.builder(root.resolve("daemon")).jvmOption("-Djdk.net.hosts.file=" + hosts)
                .args("--listen=two-addresses:" + port, "--listen=[::1]:" + port6).start()) {
            assertServed("127.0.0.1", port);
            assertServed("::1", port); // upstream binds the first address only (§9.16)
            assertServed("::1", port6);
            // TCP clients are untrusted: no garbage collection for them.
            try (StoreClient c = StoreClient.connectTcp("::1", port6, ClientOptions.DEFAULT)) {
                DaemonException e = assertThrows(DaemonException.class, () -> c.collectGarbage(0));
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
        try (var server = java.nio.channels.ServerSocketChannel.open()) {
            server.bind(new java.net.InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
