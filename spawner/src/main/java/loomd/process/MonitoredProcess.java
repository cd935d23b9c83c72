package loomd.process;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A child under {@link Limits}: output read through {@link #output()} counts as activity, and when a
 * limit fires the process group is killed and the exit status becomes {@link ExitStatus.TimedOut}.
 * Created by {@link ProcessMonitor#watch}.
 */
public final class MonitoredProcess implements ChildProcess {
    private final ChildProcess child;
    private final AtomicLong lastActivityNanos = new AtomicLong(System.nanoTime());
    private final AtomicReference<TimeLimit> fired = new AtomicReference<>();
    private final CompletableFuture<ExitStatus> exit;
    private final InputStream output;
    private final java.util.List<ScheduledFuture<?>> timers = new java.util.concurrent.CopyOnWriteArrayList<>();

    MonitoredProcess(ChildProcess child) {
        this.child = child;
        this.output = new ActivityStream(child.output());
        this.exit = child.onExit().thenApply(status -> {
            timers.forEach(t -> t.cancel(false));
            TimeLimit limit = fired.get();
            return limit == null ? status : new ExitStatus.TimedOut(limit, status);
        });
    }

    void addTimer(ScheduledFuture<?> timer) {
        timers.removeIf(java.util.concurrent.Future::isDone); // silence checks reschedule; keep the list short
        timers.add(timer);
        if (child.onExit().isDone()) {
            timer.cancel(false);
        }
    }

    /** Counts as output for the silence limit: for a child with more than one pipe (the build hook's fd 4). */
    public void activity() {
        lastActivityNanos.set(System.nanoTime());
    }

    long lastActivityNanos() {
        return lastActivityNanos.get();
    }

    /** Kills the process group for {@code limit}, once; later limits do not replace the first. */
    void fire(TimeLimit limit) {
        if (!child.onExit().isDone() && fired.compareAndSet(null, limit)) {
            child.kill();
        }
    }

    /** The limit that fired, if one did. */
    public Optional<TimeLimit> firedLimit() {
        return Optional.ofNullable(fired.get());
    }

    public ChildProcess child() {
        return child;
    }

    @Override
    public long pid() {
        return child.pid();
    }

    @Override
    public CompletableFuture<ExitStatus> onExit() {
        return exit;
    }

    @Override
    public void kill() {
        child.kill();
    }

    @Override
    public InputStream output() {
        return output;
    }

    private final class ActivityStream extends FilterInputStream {
        ActivityStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                lastActivityNanos.set(System.nanoTime());
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                lastActivityNanos.set(System.nanoTime());
            }
            return n;
        }
    }
}
