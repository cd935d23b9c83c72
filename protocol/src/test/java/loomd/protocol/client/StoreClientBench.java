package loomd.protocol.client;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import loomd.protocol.wire.StderrCode;
import loomd.protocol.wire.WireWriter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client-side cost of an operation: encode the request, run the stderr loop, decode the reply.
 * Run with {@code ./mvnw -Pbench -pl protocol -Dtest=StoreClientBench -Dsurefire.failIfNoSpecifiedTests=false test}.
 */
@Tag("bench")
class StoreClientBench {
    private static final String PATH = "/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt";

    private static byte[] replies(int n) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        WireWriter w = new WireWriter(b);
        w.writeRaw(java.util.HexFormat.of().parseHex("6f6978640000000064010000000000007374 6c6100000000".replace(" ", "")), 0, 24);
        for (int i = 0; i < n; i++) {
            w.writeU64(StderrCode.LAST);
            w.writeU64(1);
        }
        w.flush();
        return b.toByteArray();
    }

    @Test
    void isValidPathInMemory() throws Exception {
        int n = 1_000_000;
        byte[] daemon = replies(n);
        for (int round = 0; round < 3; round++) {
            try (StoreClient c = StoreClient.open(new ByteArrayInputStream(daemon), OutputStream.nullOutputStream(), null,
                    ClientOptions.DEFAULT)) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    assertTrue(c.isValidPath(PATH));
                }
                long t1 = System.nanoTime();
                System.out.printf("in-memory isValidPath: %.0f ops/s (%.2f us/op)%n", n / ((t1 - t0) / 1e9),
                        (t1 - t0) / 1e3 / n);
            }
        }
    }

    @Test
    void isValidPathOverUnixSocketOnVirtualThread(@TempDir Path dir) throws Exception {
        int n = 100_000;
        byte[] daemon = replies(n);
        Path socket = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            server.bind(UnixDomainSocketAddress.of(socket));
            // The peer answers each request (the handshake's 8 + 24 bytes, then 72 bytes per op) in lockstep.
            exec.submit(() -> {
                try (SocketChannel peer = server.accept()) {
                    ByteBuffer in = ByteBuffer.allocate(1 << 16);
                    int sent = 0;
                    long received = 0;
                    peer.write(ByteBuffer.wrap(daemon, 0, 16));
                    sent = 16;
                    while (sent < daemon.length) {
                        int r = peer.read(in.clear());
                        if (r < 0) {
                            break;
                        }
                        received += r;
                        long want = received < 32 ? 16 : 24 + ((received - 32) / 72) * 16;
                        int upTo = (int) Math.min(daemon.length, want);
                        if (upTo > sent) {
                            peer.write(ByteBuffer.wrap(daemon, sent, upTo - sent));
                            sent = upTo;
                        }
                    }
                }
                return null;
            });
            exec.submit(() -> {
                try (StoreClient c = StoreClient.connectUnix(socket, ClientOptions.DEFAULT)) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        assertTrue(c.isValidPath(PATH));
                    }
                    long t1 = System.nanoTime();
                    System.out.printf("unix-socket isValidPath round trips (virtual thread, lockstep peer): %.0f ops/s (%.1f us/op)%n",
                            n / ((t1 - t0) / 1e9), (t1 - t0) / 1e3 / n);
                }
                return null;
            }).get();
        }
    }
}
