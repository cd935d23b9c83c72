package loomd.daemon.build;

import java.util.Optional;

import loomd.process.ExitStatus;
import loomd.process.TimeLimit;
import loomd.spawner.SetupStep;

/** How one run of a builder ended ({@link BuilderRun#outcome()}); the scheduler maps it to upstream's results (§4.12). */
public sealed interface BuildOutcome {

    /** Exit code 0: the outputs are next (registerOutputs, §4.12). */
    record Succeeded() implements BuildOutcome {}

    /** Non-zero exit or a signal: {@code builder for `DRV' failed ...} ({@link TraceLines#builderFailedLines}). */
    record Failed(ExitStatus status) implements BuildOutcome {}

    /** {@code build-timeout} or {@code max-silent-time} fired; the process group was killed. */
    record TimedOut(TimeLimit limit) implements BuildOutcome {}

    /** More than {@code build-max-log-size} bytes of output; killed, and upstream reports it as a timeout (§4.11). */
    record LogLimitExceeded(long maxLogSize) implements BuildOutcome {}

    /**
     * The sandbox was ready but execve failed. Upstream's child has already announced a good setup
     * then, so this is a build failure with exit code 1, and {@code logLine} (upstream's text) is in the
     * log and was passed to the sink.
     */
    record ExecFailed(String logLine) implements BuildOutcome {
        public ExitStatus status() {
            return new ExitStatus.Exited(1);
        }
    }

    /**
     * The builder never ran: the sandbox could not be built, or the request was refused. Upstream
     * aborts the whole operation with this message (§4.10), it is not a build failure.
     */
    record SetupError(String message, Optional<SetupStep> step) implements BuildOutcome {}

    /** {@link BuilderRun#cancel()} killed it (client gone, goal cancelled). */
    record Cancelled() implements BuildOutcome {}

    /** The spawner died while the builder ran; its children died with it. */
    record Lost(String reason) implements BuildOutcome {}
}
