package loomd.daemon.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@code --idle-exit}: a socket-activated daemon with no connection and no other work (builds,
 * substitutions, GC) for the given time drains and lets the daemon exit 0, so an idle machine
 * holds no JVM. The service manager keeps the listening socket; the drain closes only our copy,
 * so a client connecting meanwhile waits in the backlog and is served by the next activation.
 *
 * <p>One platform thread ({@code idle-exit}) samples the server a few times a second; it only
 * reads volatile state and calls {@link Server#shutdown}, which is safe from any thread.
 */
public final class IdleExit {
    private static final long MAX_TICK_MILLIS = 250;

    private IdleExit() { }

    /**
     * Starts watching {@code server}.
     *
     * @param otherWork true while something outside any connection still runs (a builder process)
     */
    public static Thread watch(Server server, Duration idle, Duration grace, BooleanSupplier otherWork,
            Consumer<String> log) {
        long idleNanos = idle.toNanos();
        long tick = Math.max(10, Math.min(MAX_TICK_MILLIS, idle.toMillis() / 4));
        return Thread.ofPlatform().name("idle-exit").daemon(true).start(() -> {
            while (server.running()) {
                if (server.activeConnections() > 0 || otherWork.getAsBoolean()) {
                    server.touch();
                } else if (System.nanoTime() - server.lastActivityNanos() >= idleNanos) {
                    log.accept("idle for " + idle.toSeconds() + " s, exiting");
                    server.shutdown(grace);
                    return;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(tick);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }
}
