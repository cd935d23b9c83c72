package loomd.process;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watches the daemon's children: applies wall-clock and silence limits and keeps the set of live
 * processes so the daemon can kill them all on shutdown. Timers run on one platform thread that never
 * blocks (it only compares clocks and sends kill requests, which are queued, never waited for).
 */
public final class ProcessMonitor implements AutoCloseable {
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("loomd-process-timers").factory());
    private final Set<MonitoredProcess> live = ConcurrentHashMap.newKeySet();

    /** Puts {@code child} under {@code limits}; the returned object is the one to use from now on. */
    public MonitoredProcess watch(ChildProcess child, Limits limits) {
        MonitoredProcess watched = new MonitoredProcess(child);
        live.add(watched);
        watched.onExit().whenComplete((status, error) -> live.remove(watched));
        limits.wallClock().ifPresent(limit ->
                watched.addTimer(timers.schedule(() -> watched.fire(limit), limit.duration().toNanos(), TimeUnit.NANOSECONDS)));
        limits.silence().ifPresent(limit -> scheduleSilenceCheck(watched, limit, limit.duration()));
        return watched;
    }

    /** Watches a JDK-started child the same way. */
    public MonitoredProcess watch(Process process, Limits limits) {
        return watch(new JdkChildProcess(process), limits);
    }

    /** The processes watched and not yet exited. */
    public Set<MonitoredProcess> live() {
        return Set.copyOf(live);
    }

    /** Kills every live watched process (their exit futures complete as usual). */
    public void killAll() {
        live.forEach(MonitoredProcess::kill);
    }

    private void scheduleSilenceCheck(MonitoredProcess watched, TimeLimit.Silence limit, Duration delay) {
        if (watched.onExit().isDone() || timers.isShutdown()) {
            return;
        }
        watched.addTimer(timers.schedule(() -> checkSilence(watched, limit), delay.toNanos(), TimeUnit.NANOSECONDS));
    }

    private void checkSilence(MonitoredProcess watched, TimeLimit.Silence limit) {
        long silentFor = System.nanoTime() - watched.lastActivityNanos();
        long remaining = limit.duration().toNanos() - silentFor;
        if (remaining <= 0) {
            watched.fire(limit);
        } else {
            scheduleSilenceCheck(watched, limit, Duration.ofNanos(remaining));
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
    }
}
