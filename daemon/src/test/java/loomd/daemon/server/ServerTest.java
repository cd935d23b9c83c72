package loomd.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.session.Peer;
import loomd.daemon.session.Session;

/** Accept loop, connection limit and draining shutdown, with a trivial echo handler. */
class ServerTest {
    @TempDir Path dir;
    final List<Peer> peers = new CopyOnWriteArrayList<>();

    static ConnectionLimits limits(int max) {
        return new ConnectionLimits(max, max, 0, Duration.ofSeconds(60), Duration.ZERO);
    }

    /** Echoes one byte back per byte read until EOF. */
    void echo(SocketChannel ch, Peer peer, Session.Progress progress) {
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

    static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met within 5 s");
            Thread.sleep(10);
        }
    }

    /** A session in miniature: one byte is the handshake, each further byte an operation, echoed. */
    void phased(SocketChannel ch, Peer peer, Session.Progress progress) {
        ByteBuffer b = ByteBuffer.allocate(1);
        try {
            if (ch.read(b) < 0 || !progress.reached(Session.Phase.HANDSHAKEN)) return;
            ch.write(b.flip());
            b.clear();
            if (ch.read(b) < 0 || !progress.reached(Session.Phase.OPERATING)) return;
            ch.write(b.flip());
        } catch (IOException e) {
            return;
        }
        echo(ch, peer, progress);
    }

    static boolean closedWithin(SocketChannel ch, Duration timeout) throws Exception {
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> read = executor.submit(() -> ch.read(ByteBuffer.allocate(1)));
            try {
                return read.get(timeout.toMillis(), TimeUnit.MILLISECONDS) == -1;
            } catch (TimeoutException e) {
                ch.close();
                return false;
            }
        }
    }

    @Test
    void unixSocketIsWorldConnectableAndPeersAreIdentified() throws Exception {
        Path socket = dir.resolve("sub/dir/socket");
        Listener l = Listeners.unix(socket);
        assertEquals("rw-rw-rw-", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        Server server = new Server(List.of(l), limits(8), this::echo, m -> { });
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
    void overTheLimitClientsAreClosedAtOnce() throws Exception {
        Path socket = dir.resolve("s");
        Server server = new Server(List.of(Listeners.unix(socket)), limits(2), this::echo, m -> { });
        server.start();
        try (SocketChannel a = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                SocketChannel b = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(echoes(a, Duration.ofSeconds(5)));
            assertTrue(echoes(b, Duration.ofSeconds(5)));
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                assertEquals(-1, c.read(ByteBuffer.allocate(1)), "a third client is closed, not left in the backlog");
            }
            assertEquals(2, server.activeConnections());
            a.close();
            awaitTrue(() -> server.activeConnections() == 1);
            try (SocketChannel d = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                assertTrue(echoes(d, Duration.ofSeconds(5)), "served once a slot is free");
            }
        } finally {
            server.shutdown(Duration.ofSeconds(1));
        }
    }

    @Test
    void shutdownDrainsThenClosesStragglers() throws Exception {
        Path socket = dir.resolve("s");
        CountDownLatch inSession = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Server server = new Server(List.of(Listeners.unix(socket)), limits(8), (ch, peer, progress) -> {
            inSession.countDown();
            echo(ch, peer, progress);
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

    @Test
    void connectionsIdleBeforeTheirFirstOperationAreClosed() throws Exception {
        Path socket = dir.resolve("s");
        List<String> log = new CopyOnWriteArrayList<>();
        ConnectionLimits limits = new ConnectionLimits(8, 8, 0, Duration.ofMillis(300), Duration.ofMillis(600));
        Server server = new Server(List.of(Listeners.unix(socket)), limits, this::phased, log::add);
        server.start();
        try (SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                SocketChannel idle = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                SocketChannel working = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            long start = System.nanoTime();
            assertTrue(echoes(idle, Duration.ofSeconds(5)), "handshake");
            assertTrue(echoes(working, Duration.ofSeconds(5)), "handshake");
            assertTrue(echoes(working, Duration.ofSeconds(5)), "first operation");
            assertTrue(closedWithin(silent, Duration.ofSeconds(5)), "no handshake");
            long silentMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closedWithin(idle, Duration.ofSeconds(5)), "no operation");
            long idleMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(silentMillis >= 250 && idleMillis >= 550, silentMillis + " ms, " + idleMillis + " ms");
            Thread.sleep(700);
            assertTrue(echoes(working, Duration.ofSeconds(5)), "no time-out after the first operation");
            awaitTrue(() -> server.activeConnections() == 1);
        } finally {
            server.shutdown(Duration.ofSeconds(1));
        }
        assertTrue(log.stream().anyMatch(m -> m.endsWith("no handshake within 300 ms")), log.toString());
        assertTrue(log.stream().anyMatch(m -> m.endsWith("no operation within 600 ms")), log.toString());
    }

    @Test
    void oneAccountOverItsShareLeavesTheOthersServed() throws Exception {
        // All TCP peers are one account; the test's own Unix connections are another (or root's).
        Listener tcp = Listeners.tcp(java.net.InetAddress.getByName("127.0.0.1"), 0);
        Listener unix = Listeners.unix(dir.resolve("s"));
        InetSocketAddress address = (InetSocketAddress) tcp.channel().getLocalAddress();
        List<String> log = new CopyOnWriteArrayList<>();
        ConnectionLimits limits = new ConnectionLimits(8, 2, 1, Duration.ofSeconds(60), Duration.ZERO);
        Server server = new Server(List.of(tcp, unix), limits, this::echo, log::add);
        server.start();
        try (SocketChannel r1 = SocketChannel.open(address);
                SocketChannel r2 = SocketChannel.open(address);
                SocketChannel r3 = SocketChannel.open(address);
                SocketChannel local = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("s")))) {
            assertTrue(echoes(r1, Duration.ofSeconds(5)));
            assertTrue(echoes(r2, Duration.ofSeconds(5)));
            assertTrue(closedWithin(r3, Duration.ofSeconds(5)), "over the remote share: closed at once");
            assertTrue(echoes(local, Duration.ofSeconds(5)), "another account is still served");
            assertEquals(3, server.activeConnections());
        } finally {
            server.shutdown(Duration.ofSeconds(1));
        }
        assertTrue(log.contains("refusing connection from a remote peer: it holds its share of connections "
                + "(--max-user-connections)"), log.toString());
    }

    @Test
    void shutdownInterruptsSessionsThatIgnoreTheClose() throws Exception {
        Path socket = dir.resolve("s");
        CountDownLatch inSession = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Server server = new Server(List.of(Listeners.unix(socket)), limits(8), (ch, peer, progress) -> {
            inSession.countDown();
            try {
                new CountDownLatch(1).await(); // deaf to its channel
            } catch (InterruptedException e) {
                finished.incrementAndGet();
            }
        }, m -> { });
        server.start();
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(inSession.await(5, TimeUnit.SECONDS));
            server.shutdown(Duration.ofMillis(100));
            assertEquals(1, finished.get(), "the stuck session was interrupted and ended before shutdown returned");
            assertEquals(0, server.activeConnections(), "its slot was freed by its own cleanup");
        }
    }
}
