package loomd.daemon.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hang-up watch on a real Unix socket: told at once of the client's end, and leaves the socket as it found it. */
class HangupWatchTest {
    @TempDir
    Path tmp;

    /** A connected pair: [0] the daemon's side, [1] the client's. */
    SocketChannel[] pair() throws Exception {
        UnixDomainSocketAddress at = UnixDomainSocketAddress.of(tmp.resolve("s"));
        try (ServerSocketChannel server = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(at);
            SocketChannel client = SocketChannel.open(at);
            return new SocketChannel[] {server.accept(), client};
        }
    }

    @Test
    void aHangUpIsToldWithoutProbing() throws Exception {
        SocketChannel[] p = pair();
        ClientWatch watch = ClientWatch.of(p[0]);
        org.junit.jupiter.api.Assumptions.assumeTrue(watch.parks(), "the JDK's poller is reachable");
        CompletableFuture<Long> told = new CompletableFuture<>();
        long[] closedAt = new long[1];
        // The watch runs on a virtual thread, as the session does.
        Thread session = Thread.ofVirtual().start(() -> {
            try (HangupWatch w = HangupWatch.start(watch, () -> told.complete(System.nanoTime()))) {
                assertTrue(w.active());
                Thread.sleep(300); // well past any probe interval: nothing may be told yet
                assertFalse(told.isDone(), "told of a hang-up that did not happen");
                closedAt[0] = System.nanoTime();
                p[1].close();
                told.get(5, TimeUnit.SECONDS);
            } catch (Throwable e) {
                told.completeExceptionally(e);
            }
        });
        session.join();
        long micros = (told.get(1, TimeUnit.SECONDS) - closedAt[0]) / 1000;
        assertTrue(micros < 50_000, "told after " + micros + " µs");
        p[0].close();
    }

    @Test
    void closingTheWatchLeavesTheNextRequestUnread() throws Exception {
        SocketChannel[] p = pair();
        ClientWatch watch = ClientWatch.of(p[0]);
        org.junit.jupiter.api.Assumptions.assumeTrue(watch.parks(), "the JDK's poller is reachable");
        CompletableFuture<Void> told = new CompletableFuture<>();
        CompletableFuture<Void> sessionDone = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                HangupWatch w = HangupWatch.start(watch, () -> told.complete(null));
                Thread.sleep(50);
                w.close(); // the operation is over
                ByteBuffer sent = ByteBuffer.wrap(new byte[] {42});
                p[1].write(sent);
                ByteBuffer got = ByteBuffer.allocate(1);
                assertEquals(1, p[0].read(got), "the session reads its next request itself");
                assertEquals(42, got.get(0));
                sessionDone.complete(null);
            } catch (Throwable e) {
                sessionDone.completeExceptionally(e);
            }
        });
        sessionDone.get(5, TimeUnit.SECONDS);
        assertFalse(told.isDone(), "a closed watch tells nothing");
        p[0].close();
        p[1].close();
    }
}
