package loomd.daemon.session;

import java.util.concurrent.atomic.AtomicInteger;

import loomd.posix.Cpu;

/**
 * A short, bounded wait on the carrier for a chatty client's next request, before the session
 * parks in the JDK's poller.
 *
 * <p>Why: a parked virtual thread is woken by the poller thread, which hands it to a carrier
 * thread; on a busy machine each of those wake-ups may wait for a CPU, and that is most of the
 * tail of a small request (upstream's process is woken once, by the kernel). A client in a burst
 * ({@code guix build -d}, a loop of {@code valid-path?}) usually sends its next request within tens
 * of microseconds of our reply; watching the socket that long catches it with no thread switch.
 *
 * <p>Cost bounds: each round is a zero-timeout {@code poll(2)} ({@link ClientWatch#readable()})
 * then {@code sched_yield(2)}, so any other runnable thread on this CPU (often the client we just
 * answered) goes first: spinning without the yield delayed the client's own wake-up by the whole
 * window. A session spins only if its previous request came within the window (a client that
 * pauses longer costs one window, then parks at once until it is quick again); at most
 * {@link #MAX_SPINNERS} sessions spin at a time; and spinning stops as soon as other sessions are
 * in an operation, so it only ever uses a carrier the daemon has no work for. The window is
 * {@code -Dloomd.readSpinMicros} (default {@value #DEFAULT_MICROS}; 0 turns spinning off).
 *
 * <p>Confined to the session's thread, except the shared counters.
 */
final class ReadSpin {
    static final int DEFAULT_MICROS = 100;
    static final long WINDOW_NANOS = Math.max(0, Long.getLong("loomd.readSpinMicros", DEFAULT_MICROS)) * 1_000L;
    static final int MAX_SPINNERS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    /** Sessions in an operation that leave a carrier free for a spinner. */
    static final int QUIET_BELOW = Math.max(1, Runtime.getRuntime().availableProcessors() - MAX_SPINNERS);
    private static final AtomicInteger SPINNING = new AtomicInteger();
    private static final AtomicInteger BUSY = new AtomicInteger();

    private final ClientWatch watch;
    private final long windowNanos;
    private boolean quick = true;
    private long finishedAt = System.nanoTime();

    ReadSpin(ClientWatch watch) {
        this(watch, WINDOW_NANOS);
    }

    ReadSpin(ClientWatch watch, long windowNanos) {
        this.watch = watch;
        this.windowNanos = windowNanos;
    }

    /** A request has arrived and its operation begins; pair with {@link #finished()}. */
    void arrived() {
        quick = System.nanoTime() - finishedAt <= windowNanos;
        BUSY.incrementAndGet();
    }

    /** The operation is over (reply flushed or failed): the client's think time starts now. */
    void finished() {
        BUSY.decrementAndGet();
        finishedAt = System.nanoTime();
    }

    /**
     * Watches the socket until the window after the last reply ends, if this client has been quick
     * and the daemon is otherwise idle. True if a read would not block now (a request, end of
     * stream, or a closed channel); false: park in the poller as usual.
     */
    boolean awaitReadable() {
        if (!quick || windowNanos <= 0 || !watch.probes()) {
            return false;
        }
        if (SPINNING.incrementAndGet() > MAX_SPINNERS) {
            SPINNING.decrementAndGet();
            return false;
        }
        try {
            long deadline = finishedAt + windowNanos;
            while (true) {
                if (watch.readable()) {
                    return true;
                }
                if (BUSY.get() >= QUIET_BELOW || System.nanoTime() - deadline >= 0) {
                    return false;
                }
                Cpu.yieldCpu();
            }
        } finally {
            SPINNING.decrementAndGet();
        }
    }
}
