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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import loomd.daemon.session.Passwd;
import loomd.daemon.session.Peer;
import loomd.posix.PeerCredentials;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.Spawner;

/**
 * Accept loops over the listeners, one virtual thread per connection, per-user connection
 * accounting with idle time-outs, and a draining shutdown (daemon.md §3.2). See package-info for
 * the threads and state.
 */
public final class Server {
    private enum State { NEW, RUNNING, DRAINING, STOPPED }

    /** How long shutdown waits for sessions to clean up once their connections are closed. */
    private static final Duration FORCED_CLOSE_WAIT = Duration.ofSeconds(5);
    private static final Duration INTERRUPTED_WAIT = Duration.ofSeconds(1);
    private static final long ACCEPTOR_JOIN_MILLIS = 2_000;
    private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final List<Listener> listeners;
    private final ConnectionHandler handler;
    private final Consumer<String> log;
    private final ConnectionLimits limits;
    private final Admission admission;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService sessions =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("session-", 0).factory());
    private final ScheduledThreadPoolExecutor timers;
    private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - REFUSAL_LOG_INTERVAL_NANOS);
    private final AtomicInteger refusedSinceLog = new AtomicInteger();
    private final SessionMarkers markers;
    private volatile State state = State.NEW;
    /** When a connection was last admitted or finished, or other work last seen ({@link #touch}). */
    private volatile long lastActivityNanos = System.nanoTime();
    private List<Thread> acceptors = List.of();

    public Server(List<Listener> listeners, ConnectionLimits limits, ConnectionHandler handler, Consumer<String> log) {
        this(listeners, limits, null, handler, log);
    }

    /**
     * @param markerSpawner when not null, the spawner that starts a {@code guix processes} marker per
     *     Unix session (see SessionMarkers); null: no markers
     */
    public Server(List<Listener> listeners, ConnectionLimits limits, Spawner markerSpawner,
            ConnectionHandler handler, Consumer<String> log) {
        this.markers = markerSpawner != null ? new SessionMarkers(markerSpawner, log) : null;
        this.listeners = List.copyOf(listeners);
        this.handler = handler;
        this.log = log;
        this.limits = limits;
        this.admission = new Admission(limits);
        this.timers = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("connection-timeouts").daemon(true).factory());
        timers.setRemoveOnCancelPolicy(true);
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
        return admission.total();
    }

    /** When a connection was last admitted or finished, or {@link #touch} last called ({@link System#nanoTime}). */
    public long lastActivityNanos() {
        return lastActivityNanos;
    }

    /** Records work done outside any connection (a build, a GC), so an idle exit waits for it. */
    public void touch() {
        lastActivityNanos = System.nanoTime();
    }

    /** Whether the server still accepts (not yet draining). */
    public boolean running() {
        return state == State.RUNNING;
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

    /**
     * Accepts without waiting for a free slot: the slot depends on the peer's uid, known only
     * after {@code accept}, and a user over its share must not fill the backlog in front of others.
     */
    private void acceptLoop(Listener listener) {
        while (state == State.RUNNING) {
            SocketChannel channel;
            try {
                channel = listener.channel().accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.accept("error processing connection: " + e.getMessage());
                pauseAfterAcceptError();
                continue;
            }
            admit(listener, channel);
        }
    }

    /** Identifies the peer's account, then starts its session or closes the connection at once. */
    private void admit(Listener listener, SocketChannel channel) {
        PeerCredentials cred = null;
        if (listener.unix()) {
            try {
                cred = PeerCredentials.of(channel);
            } catch (IOException e) {
                log.accept("error processing connection: getting peer credentials: " + e.getMessage());
                Connection.closeQuietly(channel);
                return;
            }
        }
        int account = cred == null ? Admission.REMOTE : cred.uid();
        touch();
        Admission.Verdict verdict = admission.admit(account);
        if (verdict != Admission.Verdict.ADMITTED) {
            Connection.closeQuietly(channel);
            logRefusal(account, verdict);
            return;
        }
        String who = cred == null ? "a remote peer" : "pid " + cred.pid() + ", uid " + cred.uid();
        Connection connection = new Connection(channel, account, who, limits, timers, log);
        open.add(connection);
        PeerCredentials peer = cred;
        try {
            sessions.execute(() -> serve(connection, peer));
        } catch (RejectedExecutionException | OutOfMemoryError e) {
            if (state == State.RUNNING) {
                log.accept("error processing connection: " + e);
            }
            finish(connection);
        }
    }

    /** One connection: the one try/finally that always closes the channel and frees the slot. */
    private void serve(Connection connection, PeerCredentials cred) {
        SpawnedProcess marker = null;
        try {
            connection.arm();
            Peer peer = identify(connection.channel, cred);
            connection.describe(peer.description());
            log.accept("accepted connection from " + peer.description());
            if (markers != null) {
                marker = markers.start(peer.pid());
            }
            handler.serve(connection.channel, peer, connection);
        } catch (IOException e) {
            log.accept("error processing connection: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            log.accept("unexpected build daemon error: " + e);
        } finally {
            SessionMarkers.stop(marker);
            finish(connection);
        }
    }

    private void finish(Connection connection) {
        connection.close();
        if (open.remove(connection)) {
            admission.release(connection.account);
        }
        touch();
    }

    private static Peer identify(SocketChannel channel, PeerCredentials cred) throws IOException {
        if (cred != null) {
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

    /** At most one line a second: a client looping on connect must not flood the log. */
    private void logRefusal(int account, Admission.Verdict verdict) {
        refusedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        long last = lastRefusalLog.get();
        if (now - last >= REFUSAL_LOG_INTERVAL_NANOS && lastRefusalLog.compareAndSet(last, now)) {
            int refused = refusedSinceLog.getAndSet(0);
            log.accept("refusing connection from " + Admission.describe(account) + ": " + verdict.reason
                    + (refused > 1 ? " (" + refused + " connections refused since the last such message)" : ""));
        }
    }

    /**
     * Stops accepting, lets open sessions finish for {@code grace} (the session executor's own
     * termination), then closes the remaining connections, which ends each session at its next
     * read or write, and waits briefly for their cleanup; sessions stuck even then are interrupted.
     */
    public void shutdown(Duration grace) {
        synchronized (this) {
            if (state != State.RUNNING) {
                return;
            }
            state = State.DRAINING;
        }
        // Closing a listener wakes its accept loop. A connection accepted just before the close is
        // still handed to a session: the executor closes only once every accept loop has ended. One
        // not yet accepted stays in the socket's backlog, which a service manager keeps for the
        // next activation. No interrupt first: an interrupt racing an accept(2) that has just
        // returned makes the JDK throw ClosedByInterruptException and drop the accepted socket
        // unclosed, which its client sees as a reset once the daemon exits (IdleExitTest caught it).
        listeners.forEach(Listener::close);
        joinAcceptors();
        sessions.shutdown();
        if (!awaitSessions(grace)) {
            log.accept("closing " + open.size() + " connection(s) still open after " + grace.toSeconds() + "s");
            // Only the channels: each session's own finally frees its slot and runs its cleanup.
            open.forEach(Connection::closeChannel);
            if (!awaitSessions(FORCED_CLOSE_WAIT)) {
                log.accept("interrupting " + open.size() + " session(s) still running after their connection closed");
                sessions.shutdownNow();
                awaitSessions(INTERRUPTED_WAIT);
            }
        }
        timers.shutdownNow();
        synchronized (this) {
            state = State.STOPPED;
            notifyAll();
        }
    }

    /** Waits for the accept loops to end; one still blocked after that is interrupted. */
    private void joinAcceptors() {
        for (Thread t : acceptors) {
            try {
                t.join(ACCEPTOR_JOIN_MILLIS);
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(ACCEPTOR_JOIN_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private boolean awaitSessions(Duration timeout) {
        try {
            return sessions.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
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
