package loomd.daemon.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bounded wait for a quick client's next request, on a real Unix socket pair. */
class ReadSpinTest {
    private static final long LONG_WINDOW = TimeUnit.SECONDS.toNanos(5);
    private static final long SHORT_WINDOW = TimeUnit.MILLISECONDS.toNanos(30);

    @TempDir Path dir;
    private ServerSocketChannel server;
    private SocketChannel client;
    private SocketChannel accepted;

    @BeforeEach
    void connect() throws Exception {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
        client = SocketChannel.open(server.getLocalAddress());
        accepted = server.accept();
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        accepted.close();
        server.close();
    }

    @Test
    void aRequestWithinTheWindowEndsTheWaitAtOnce() throws Exception {
        ReadSpin spin = finishedOne(LONG_WINDOW);
        Thread.ofVirtual().start(() -> {
            sleep(50);
            write(client, 1);
        });
        long t0 = System.nanoTime();
        assertTrue(spin.awaitReadable());
        long waited = System.nanoTime() - t0;
        assertTrue(waited < LONG_WINDOW / 2, "woke at the request, not at the window's end: " + waited + " ns");
        assertTrue(accepted.read(ByteBuffer.allocate(8)) == 1, "nothing was consumed");
    }

    @Test
    void aSilentClientIsWaitedForOnlyUntilTheWindowEnds() {
        ReadSpin spin = finishedOne(SHORT_WINDOW);
        long t0 = System.nanoTime();
        assertFalse(spin.awaitReadable());
        long waited = System.nanoTime() - t0;
        assertTrue(waited < TimeUnit.SECONDS.toNanos(2), "bounded by the window: " + waited + " ns");
    }

    @Test
    void endOfStreamEndsTheWait() throws Exception {
        ReadSpin spin = finishedOne(LONG_WINDOW);
        client.close();
        assertTrue(spin.awaitReadable());
    }

    @Test
    void aClientSlowerThanTheWindowIsNotWaitedForUntilItIsQuickAgain() throws Exception {
        ReadSpin spin = new ReadSpin(ClientWatch.of(accepted), SHORT_WINDOW);
        sleep(100);
        spin.arrived(); // this request came long after the last reply
        spin.finished();
        write(client, 1);
        assertFalse(spin.awaitReadable(), "parks at once, even with a request waiting");
        accepted.read(ByteBuffer.allocate(8));
        spin.arrived(); // quick this time
        spin.finished();
        write(client, 1);
        assertTrue(spin.awaitReadable());
    }

    @Test
    void noSpinWhileOtherSessionsAreInAnOperation() {
        List<ReadSpin> others = new ArrayList<>();
        for (int i = 0; i < ReadSpin.QUIET_BELOW; i++) {
            ReadSpin other = new ReadSpin(ClientWatch.of(accepted), LONG_WINDOW);
            other.arrived();
            others.add(other);
        }
        try {
            ReadSpin spin = finishedOne(LONG_WINDOW);
            long t0 = System.nanoTime();
            assertFalse(spin.awaitReadable());
            assertTrue(System.nanoTime() - t0 < LONG_WINDOW / 2, "gave the carrier up at once");
        } finally {
            others.forEach(ReadSpin::finished);
        }
    }

    /** A session whose last request came quickly and whose reply was just sent. */
    private ReadSpin finishedOne(long window) {
        ReadSpin spin = new ReadSpin(ClientWatch.of(accepted), window);
        spin.arrived();
        spin.finished();
        return spin;
    }

    private static void write(SocketChannel channel, int bytes) {
        try {
            channel.write(ByteBuffer.allocate(bytes));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
