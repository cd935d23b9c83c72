package loomd.daemon.substitute;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The query helpers ({@code guix substitute --query}) of the whole daemon, where upstream starts one
 * per session: at most {@link #limit} processes, each lent to one caller at a time and keyed by the
 * {@code _NIX_OPTIONS} it started with. A caller gets an idle helper with its options, else a new one
 * while under the limit, else an idle helper of other options is replaced, else it waits (parked).
 * So a burst of 64 sessions with the same options starts at most {@code limit} processes, and a
 * session whose options changed since (new substitute URLs) gets a helper that sees them (§9.23).
 */
final class QueryHelpers implements AutoCloseable {
    /** Starts a helper for the given {@code _NIX_OPTIONS}. */
    @FunctionalInterface
    interface Starter {
        HelperProcess start(String options) throws IOException;
    }

    private final Starter starter;
    private final int limit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Deque<HelperProcess> idle = new ArrayDeque<>();
    private final AtomicInteger started = new AtomicInteger();
    private int live;
    private boolean closed;

    QueryHelpers(Starter starter, int limit) {
        if (limit < 1) throw new IllegalArgumentException("limit must be >= 1");
        this.starter = starter;
        this.limit = limit;
    }

    /** How many helper processes were ever started (for tests and the log). */
    int started() {
        return started.get();
    }

    /** Borrows a helper started with {@code options}; give it back with {@link #release}. */
    HelperProcess acquire(String options) throws IOException, InterruptedException {
        HelperProcess stale = null;
        lock.lock();
        try {
            while (true) {
                if (closed) throw new IOException("the daemon is shutting down");
                HelperProcess same = takeIdle(options);
                if (same != null) return same;
                if (live < limit) {
                    live++;
                    break;
                }
                if (!idle.isEmpty()) {
                    stale = idle.pollLast(); // least recently used of other options: replaced
                    break;
                }
                changed.await();
            }
        } finally {
            lock.unlock();
        }
        if (stale != null) stale.close();
        try {
            HelperProcess h = starter.start(options);
            started.incrementAndGet();
            return h;
        } catch (IOException | RuntimeException e) {
            forget();
            throw e;
        }
    }

    /** Returns a helper; one that failed or died is disposed of and its slot freed. */
    void release(HelperProcess helper, boolean healthy) {
        helper.route(null);
        boolean keep = healthy && helper.alive();
        lock.lock();
        try {
            if (keep && !closed) {
                idle.addFirst(helper);
                changed.signal();
                return;
            }
        } finally {
            lock.unlock();
        }
        helper.close();
        forget();
    }

    private void forget() {
        lock.lock();
        try {
            live--;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    private HelperProcess takeIdle(String options) {
        for (var it = idle.iterator(); it.hasNext(); ) {
            HelperProcess h = it.next();
            if (!h.alive()) {
                it.remove();
                live--;
                h.close();
            } else if (h.options().equals(options)) {
                it.remove();
                return h;
            }
        }
        return null;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            idle.forEach(HelperProcess::close);
            idle.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
