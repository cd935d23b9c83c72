package loomd.daemon.build;

import java.util.concurrent.CompletableFuture;

/**
 * One running attempt of a derivation's builder, as the goal sees it: a process started through the
 * spawner ({@link BuilderRun}) or a built-in builder run by the daemon itself
 * ({@link loomd.daemon.build.builtin.BuiltinRun}). Both end in exactly one {@link BuildOutcome}, with
 * the log closed before it is published.
 */
public interface RunningBuild {
    /** Completes with the pid the traces name once the builder runs; fails if it never ran. */
    CompletableFuture<Long> started();

    /** Completes once, after the log is closed. */
    CompletableFuture<BuildOutcome> outcome();

    /** Stops the builder; any thread, any number of times. */
    void cancel();
}
