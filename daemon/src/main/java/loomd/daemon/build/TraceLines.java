package loomd.daemon.build;

import java.util.List;

import loomd.process.ExitStatus;
import loomd.process.TimeLimit;

/**
 * The exact texts a build sends to the client (daemon.md §4.16, §4.12, §4.2), each one complete
 * {@code STDERR_NEXT} string with its trailing newline, byte for byte as upstream (transcripts 17, 18
 * and 24). Traces go out only when the client asked for {@code printBuildTrace}, and never with the
 * nesting prefix upstream adds at high verbosity (§9.28): that is the session's concern.
 */
public final class TraceLines {
    private TraceLines() {}

    /** {@code @ build-started DRV - SYSTEM LOGFILE PID}; LOGFILE is {@link BuildLog#traceName()} ("" without logs). */
    public static String buildStarted(String drvPath, String platform, String logFile, long pid) {
        return "@ build-started " + drvPath + " - " + platform + " " + logFile + " " + pid + "\n";
    }

    public static String buildSucceeded(String drvPath) {
        return "@ build-succeeded " + drvPath + " -\n";
    }

    /** {@code @ build-failed DRV - CODE MESSAGE}: code 1, or 0 for an error while preparing the build. */
    public static String buildFailed(String drvPath, int code, String message) {
        return "@ build-failed " + drvPath + " - " + code + " " + message + "\n";
    }

    /** Timeouts, the log size limit and hook exit 101. */
    public static String buildFailedTimeout(String drvPath) {
        return "@ build-failed " + drvPath + " - timeout\n";
    }

    public static String buildFailedCached(String drvPath) {
        return "@ build-failed " + drvPath + " - cached\n";
    }

    /** {@code ALGO} as the output record has it (may be {@code r:sha256}); hashes base16 for md5, else Nix base32. */
    public static String hashMismatch(String path, String algo, String expected, String actual) {
        return "@ hash-mismatch " + path + " " + algo + " " + expected + " " + actual + "\n";
    }

    /** The multiplex header before each chunk of builder output, when {@code multiplexed-build-output} is on. */
    public static String buildLogHeader(long pid, int length) {
        return "@ build-log " + pid + " " + length + "\n";
    }

    /** The goal's name in messages: {@code building of `DRV'}. */
    public static String goalName(String drvPath) {
        return "building of `" + drvPath + "'";
    }

    /** {@code builder for `DRV' failed with exit code N} and its siblings (§4.12), without newline: also the trace's message. */
    public static String builderFailed(String drvPath, ExitStatus status) {
        return "builder for `" + drvPath + "' " + statusText(status);
    }

    /** Upstream's {@code statusToString}. */
    static String statusText(ExitStatus status) {
        return switch (status) {
            case ExitStatus.Exited(int code) -> "failed with exit code " + code;
            case ExitStatus.Signaled(int signal, boolean core) -> "failed due to signal " + signal + " (" + Signals.describe(signal) + ")";
            case ExitStatus.TimedOut t -> statusText(t.status());
        };
    }

    /**
     * What a timed-out build sends, in upstream's order (transcript 24): the scheduler's message, the
     * trace (if traces are on), then {@code killing process PID}.
     */
    public static List<String> timedOut(String drvPath, TimeLimit limit, long pid, boolean traces) {
        String message = limit.describe(goalName(drvPath)) + "\n";
        return traces ? List.of(message, buildFailedTimeout(drvPath), killingProcess(pid))
                : List.of(message, killingProcess(pid));
    }

    /** §4.11: {@code building of `DRV' killed after writing more than N bytes of log output}. */
    public static String logLimitExceeded(String drvPath, long maxLogSize) {
        return goalName(drvPath) + " killed after writing more than " + maxLogSize + " bytes of log output\n";
    }

    public static String killingProcess(long pid) {
        return "killing process " + pid + "\n";
    }

    /** §4.12 failure, local builder: the error-level message, then the trace with code 1. */
    public static List<String> builderFailedLines(String drvPath, ExitStatus status, boolean traces) {
        String message = builderFailed(drvPath, status);
        return traces ? List.of(message + "\n", buildFailed(drvPath, 1, message)) : List.of(message + "\n");
    }
}
