package loomd.daemon.server;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import loomd.daemon.session.Session;

/**
 * One admitted connection: its channel, the account holding its slot, and its idle time-outs.
 *
 * <p>Until the handshake is complete, and then until the first operation, a timer on the shared
 * scheduler may shut the channel's input down, which ends the session at its blocked read. The
 * session and the timer race for each phase change under this object's monitor, so a session
 * told "go on" is never cut off by a timer of an earlier phase.
 */
final class Connection implements Session.Progress {
    private enum Stage { CONNECTED, HANDSHAKEN, OPERATING, TIMED_OUT, CLOSED }

    final SocketChannel channel;
    final int account;
    private final ConnectionLimits limits;
    private final ScheduledExecutorService timers;
    private final Consumer<String> log;
    private volatile String description;
    private Stage stage = Stage.CONNECTED;
    private ScheduledFuture<?> timer;

    Connection(SocketChannel channel, int account, String description, ConnectionLimits limits,
            ScheduledExecutorService timers, Consumer<String> log) {
        this.channel = channel;
        this.account = account;
        this.description = description;
        this.limits = limits;
        this.timers = timers;
        this.log = log;
    }

    /** The peer as the log names it, once the session knows its user name. */
    void describe(String peer) {
        this.description = peer;
    }

    /** Starts the handshake time-out. */
    synchronized void arm() {
        schedule(Stage.CONNECTED, limits.handshakeTimeout(), "no handshake");
    }

    @Override
    public synchronized boolean reached(Session.Phase phase) {
        if (stage == Stage.TIMED_OUT || stage == Stage.CLOSED) {
            return false;
        }
        cancelTimer();
        stage = switch (phase) {
            case HANDSHAKEN -> Stage.HANDSHAKEN;
            case OPERATING -> Stage.OPERATING;
        };
        if (stage == Stage.HANDSHAKEN) {
            schedule(Stage.HANDSHAKEN, limits.firstOpTimeout(), "no operation");
        }
        return true;
    }

    /** Stops the timer and closes the channel; the session's cleanup calls it, at most once matters. */
    void close() {
        synchronized (this) {
            cancelTimer();
            stage = Stage.CLOSED;
        }
        closeChannel();
    }

    /** Closes the channel without ending the stage machine: shutdown forcing the session out. */
    void closeChannel() {
        closeQuietly(channel);
    }

    static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the peer may be gone already
        }
    }

    private void schedule(Stage expected, Duration timeout, String what) {
        if (timeout.isZero()) {
            return;
        }
        try {
            timer = timers.schedule(() -> expire(expected, timeout, what), timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // the server is stopping: it closes every connection itself
        }
    }

    private void expire(Stage expected, Duration timeout, String what) {
        synchronized (this) {
            if (stage != expected) {
                return;
            }
            stage = Stage.TIMED_OUT;
            timer = null;
        }
        log.accept("closing connection from " + description + ": " + what + " within " + format(timeout));
        try {
            // The session's blocked read sees end of stream and the session ends as if the client
            // had left (no error logged); its own cleanup then closes the channel.
            channel.shutdownInput();
        } catch (IOException e) {
            closeChannel();
        }
    }

    private static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
