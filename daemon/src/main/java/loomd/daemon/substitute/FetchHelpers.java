package loomd.daemon.substitute;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Fetching helpers ({@code guix substitute --substitute}): upstream's scheduler keeps one idle
 * instance and starts more for concurrent substitutions; here the daemon keeps at most
 * {@link #MAX_IDLE} idle ones for all sessions, by {@code _NIX_OPTIONS}, and never hands back one
 * that died (§9.23).
 */
final class FetchHelpers implements AutoCloseable {
    static final int MAX_IDLE = 2;

    private final QueryHelpers.Starter starter;
    private final Deque<HelperProcess> idle = new ArrayDeque<>();
    private boolean closed;

    FetchHelpers(QueryHelpers.Starter starter) {
        this.starter = starter;
    }

    HelperProcess acquire(String options) throws IOException {
        synchronized (this) {
            for (var it = idle.iterator(); it.hasNext(); ) {
                HelperProcess h = it.next();
                if (h.alive() && h.options().equals(options)) {
                    it.remove();
                    return h;
                }
            }
        }
        return starter.start(options);
    }

    void release(HelperProcess helper, boolean healthy) {
        HelperProcess dropped = helper;
        if (healthy && helper.alive()) {
            synchronized (this) {
                if (!closed) {
                    idle.addFirst(helper);
                    dropped = idle.size() > MAX_IDLE ? idle.pollLast() : null;
                }
            }
        }
        if (dropped != null) dropped.close();
    }

    @Override
    public synchronized void close() {
        closed = true;
        idle.forEach(HelperProcess::close);
        idle.clear();
    }
}
