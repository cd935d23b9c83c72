package loomd.daemon.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import loomd.daemon.session.Passwd;
import loomd.daemon.session.Peer;
import loomd.posix.PeerCredentials;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.SpawnerClient;

/**
 * Accept loops over the listeners, one virtual thread per connection, a connection limit and a
 * draining shutdown (daemon.md §3.2). See package-info for the threads and state.
 */
public final class Server {
    private enum State { NEW, RUNNING, DRAINING, STOPPED }

    private final List<Listener> listeners;
    private final ConnectionHandler handler;
    private final Consumer<String> log;
    private final Semaphore slots;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    /** Session threads started and not yet through their cleanup (what shutdown waits for). */
    private final AtomicInteger running = new AtomicInteger();
    private final ThreadFactory sessionThreads = Thread.ofVirtual().name("session-", 0).factory();
    private volatile State state = State.NEW;
    private List<Thread> acceptors = List.of();

    private final SessionMarkers markers;

    public Server(List<Listener> listeners, int maxConnections, ConnectionHandler handler, Consumer<String> log) {
        this(listeners, maxConnections, null, handler, log);
    }

    /**
     * @param markerSpawner when not null, the spawner that starts a {@code guix processes} marker per
     *     Unix session (see SessionMarkers); null: no markers
     */
    public Server(List<Listener> listeners, int maxConnections, SpawnerClient markerSpawner, ConnectionHandler handler,
            Consumer<String> log) {
        this.markers = markerSpawner != null ? new SessionMarkers(markerSpawner, log) : null;
        this.listeners = List.copyOf(listeners);
        this.handler = handler;
        this.log = log;
        this.slots = new Semaphore(maxConnections);
    }

    /** Starts one accept loop per listener. */
    public synchronized void start() {
        if (state != State.NEW) {
            throw new IllegalStateException("server already started");
        }
        state = State.RUNNING;
        acceptors = listeners.stream()
                .map(l -> Thread.ofPlatform().name("accept " + l.description()).daemon(true).start(() -> acceptLoop(l)))
                .toList();
    }

    /** Connections being served right now. */
    public int activeConnections() {
        return open.size();
    }

    /** Blocks until {@link #shutdown} has finished. */
    public void awaitStopped() throws InterruptedException {
        for (Thread t : acceptors) {
            t.join();
        }
        synchronized (this) {
            while (state != State.STOPPED) {
                wait();
            }
        }
    }

    private void acceptLoop(Listener listener) {
        while (state == State.RUNNING) {
            // Over the limit, clients wait in the listen backlog: we take a slot before accepting.
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel channel;
            try {
                channel = listener.channel().accept();
            } catch (ClosedChannelException e) {
                slots.release();
                return;
            } catch (IOException e) {
                slots.release();
                log.accept("error processing connection: " + e.getMessage());
                pauseAfterAcceptError();
                continue;
            }
            dispatch(listener, channel);
        }
    }

    private void dispatch(Listener listener, SocketChannel channel) {
        open.add(channel);
        running.incrementAndGet();
        try {
            sessionThreads.newThread(() -> serve(listener, channel)).start();
        } catch (RuntimeException | OutOfMemoryError e) {
            log.accept("error processing connection: " + e);
            close(channel);
            running.decrementAndGet();
        }
    }

    /** One connection: the one try/finally that always closes the channel and frees the slot. */
    private void serve(Listener listener, SocketChannel channel) {
        SpawnedProcess marker = null;
        try {
            Peer peer = identify(listener, channel);
            log.accept("accepted connection from " + peer.description());
            if (markers != null) {
                marker = markers.start(peer.pid());
            }
            handler.serve(channel, peer);
        } catch (IOException e) {
            log.accept("error processing connection: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            log.accept("unexpected build daemon error: " + e);
        } finally {
            SessionMarkers.stop(marker);
            close(channel);
            running.decrementAndGet();
        }
    }

    private void close(SocketChannel channel) {
        if (open.remove(channel)) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the peer may be gone already
            }
            slots.release();
        }
    }

    private static Peer identify(Listener listener, SocketChannel channel) throws IOException {
        if (listener.unix()) {
            PeerCredentials cred;
            try {
                cred = PeerCredentials.of(channel);
            } catch (IOException e) {
                throw new IOException("getting peer credentials: " + e.getMessage(), e);
            }
            return Peer.local(cred.pid(), cred.uid(), cred.gid(), Passwd.nameOf(cred.uid()));
        }
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.setOption(jdk.net.ExtendedSocketOptions.TCP_QUICKACK, true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // harmless, as upstream
        }
        String address = channel.getRemoteAddress() instanceof InetSocketAddress inet
                ? inet.getAddress().getHostAddress() : String.valueOf(channel.getRemoteAddress());
        return Peer.remote(address);
    }

    /**
     * Stops accepting, lets open sessions finish for {@code grace}, then closes the remaining
     * connections (their sessions end at their next read or write) and waits briefly for them.
     */
    public void shutdown(Duration grace) {
        synchronized (this) {
            if (state != State.RUNNING) {
                return;
            }
            state = State.DRAINING;
        }
        listeners.forEach(Listener::close);
        acceptors.forEach(Thread::interrupt);
        boolean drained = waitForSessions(grace);
        if (!drained) {
            log.accept("closing " + open.size() + " connection(s) still open after " + grace.toSeconds() + "s");
            // Only the channel: each session's own finally frees its slot and runs its cleanup.
            for (SocketChannel channel : open) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            waitForSessions(Duration.ofSeconds(5));
        }
        synchronized (this) {
            state = State.STOPPED;
            notifyAll();
        }
    }

    private boolean waitForSessions(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (running.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static void pauseAfterAcceptError() {
        // EMFILE and friends: do not spin.
        try {
            TimeUnit.MILLISECONDS.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
