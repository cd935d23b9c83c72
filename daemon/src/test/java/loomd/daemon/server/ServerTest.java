package loomd.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.session.Peer;

/** Accept loop, connection limit and draining shutdown, with a trivial echo handler. */
class ServerTest {
    @TempDir Path dir;
    final List<Peer> peers = new CopyOnWriteArrayList<>();

    /** Echoes one byte back per byte read until EOF. */
    void echo(SocketChannel ch, Peer peer) {
        peers.add(peer);
        ByteBuffer b = ByteBuffer.allocate(1);
        try {
            while (true) {
                b.clear();
                if (ch.read(b) < 0) return;
                b.flip();
                ch.write(b);
            }
        } catch (IOException e) {
            // closed
        }
    }

    static boolean echoes(SocketChannel ch, Duration timeout) throws IOException {
        ch.write(ByteBuffer.wrap(new byte[] {42}));
        ch.configureBlocking(false);
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer b = ByteBuffer.allocate(1);
        try {
            while (System.nanoTime() < deadline) {
                if (ch.read(b) > 0) return true;
                Thread.onSpinWait();
            }
            return false;
        } finally {
            ch.configureBlocking(true);
        }
    }

    @Test
    void unixSocketIsWorldConnectableAndPeersAreIdentified() throws Exception {
        Path socket = dir.resolve("sub/dir/socket");
        Listener l = Listeners.unix(socket);
        assertEquals("rw-rw-rw-", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        Server server = new Server(List.of(l), 8, this::echo, m -> { });
        server.start();
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(echoes(c, Duration.ofSeconds(5)));
            Peer p = peers.getFirst();
            assertEquals(ProcessHandle.current().pid(), p.pid());
            assertFalse(p.remote());
        } finally {
            server.shutdown(Duration.ofSeconds(1));
        }
        assertFalse(Files.exists(socket), "socket file removed at shutdown");
    }

    @Test
    void overTheLimitClientsWaitForAFreeSlot() throws Exception {
        Path socket = dir.resolve("s");
        Server server = new Server(List.of(Listeners.unix(socket)), 2, this::echo, m -> { });
        server.start();
        try (SocketChannel a = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                SocketChannel b = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(echoes(a, Duration.ofSeconds(5)));
            assertTrue(echoes(b, Duration.ofSeconds(5)));
            assertFalse(echoes(c, Duration.ofMillis(300)), "third client waits in the backlog");
            assertEquals(2, server.activeConnections());
            a.close();
            ByteBuffer one = ByteBuffer.allocate(1);
            c.configureBlocking(true);
            c.read(one);
            assertEquals(42, one.get(0), "served once a slot is free");
        } finally {
            server.shutdown(Duration.ofSeconds(1));
        }
    }

    @Test
    void shutdownDrainsThenClosesStragglers() throws Exception {
        Path socket = dir.resolve("s");
        CountDownLatch inSession = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Server server = new Server(List.of(Listeners.unix(socket)), 8, (ch, peer) -> {
            inSession.countDown();
            echo(ch, peer);
            finished.incrementAndGet();
        }, m -> { });
        server.start();
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        assertTrue(inSession.await(5, TimeUnit.SECONDS));
        long start = System.nanoTime();
        server.shutdown(Duration.ofMillis(300));
        long took = (System.nanoTime() - start) / 1_000_000;
        assertTrue(took >= 250, "waited for the grace period: " + took);
        assertEquals(0, server.activeConnections());
        assertEquals(1, finished.get(), "the session ran its end");
        assertEquals(-1, c.read(ByteBuffer.allocate(1)), "client sees the close");
        assertFalse(Files.exists(socket));
        c.close();
    }
}
