package loomd.daemon.session;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

/**
 * Notices at once that a client hung up during a long operation (a build), instead of probing now and
 * then (protocol.md §7.3; upstream learns it from SIGPOLL). A virtual thread parks in the JDK's poller
 * on the client's socket, as a blocking read would, without reading: the client must be silent
 * during a work phase, so the socket turning readable means end of stream (or a protocol breach),
 * and either way the client is gone. It then runs {@code onHangup} once, on that virtual thread.
 *
 * <p>Lifetime: from {@link #start} to {@link #close}, which the session's thread calls before it reads
 * the socket again (the JDK's poller allows one waiting reader per socket). {@link #active()} is false
 * when the JDK internals are missing; the caller then probes as before.
 */
final class HangupWatch implements AutoCloseable {
    private final ClientWatch watch;
    private final Runnable onHangup;
    private volatile boolean open = true;
    private final Thread thread;

    private HangupWatch(ClientWatch watch, Runnable onHangup, boolean start) {
        this.watch = watch;
        this.onHangup = onHangup;
        this.thread = start ? Thread.ofVirtual().name("loomd-hangup-watch").start(this::watch) : null;
    }

    static HangupWatch start(ClientWatch watch, Runnable onHangup) {
        return new HangupWatch(watch, onHangup, watch.parks());
    }

    boolean active() {
        return thread != null;
    }

    private void watch() {
        try {
            while (open) {
                if (watch.readable()) {
                    if (open) {
                        onHangup.run();
                    }
                    return;
                }
                watch.parkUntilReadable(() -> open);
            }
        } catch (IOException | RuntimeException e) {
            if (open) {
                onHangup.run(); // the socket is unusable: as good as gone
            }
        }
    }

    /** Stops watching and waits until the watcher has left the poller, so the session may read again. */
    @Override
    public void close() throws InterruptedException {
        if (thread == null) {
            return;
        }
        open = false;
        LockSupport.unpark(thread);
        thread.join();
    }
}
