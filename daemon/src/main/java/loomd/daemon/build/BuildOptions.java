package loomd.daemon.build;

import java.time.Duration;

import loomd.daemon.Settings;
import loomd.daemon.Settings.LogCompression;
import loomd.process.Limits;

/**
 * The settings one build operation runs with, copied from the session's {@link Settings} when the
 * operation starts (the session's object is confined to its thread; the build runs on others).
 *
 * @param mode 0 normal, 1 repair, 2 check ({@code wopBuildPaths})
 * @param useBuildHook the daemon's {@code --no-offload}, overridden by the client's set-options (§2.5)
 */
public record BuildOptions(int mode, int maxJobs, int cores, long maxSilentTime, long buildTimeout, long maxLogSize,
        boolean keepGoing, boolean keepFailed, boolean printBuildTrace, boolean multiplexed, boolean useChroot,
        boolean keepLog, LogCompression logCompression, boolean cacheFailure, String thisSystem, int buildVerbosity,
        long buildRepeat, boolean useBuildHook, int pollInterval) {
    public static final int NORMAL = 0;
    public static final int REPAIR = 1;
    public static final int CHECK = 2;

    public static BuildOptions of(Settings s, int mode) {
        return new BuildOptions(mode, s.maxBuildJobs, s.buildCores, s.maxSilentTime, s.buildTimeout, s.maxLogSize,
                s.keepGoing, s.keepFailed, s.printBuildTrace, s.multiplexedBuildOutput, s.useChroot, s.keepLog,
                s.logCompression, s.cacheFailure, s.thisSystem, s.buildVerbosity, repeat(s),
                s.useBuildHook, s.pollInterval);
    }

    /** {@code build-repeat} (the daemon's {@code --rounds=N} is N-1, a client may set it too): extra rounds. */
    private static long repeat(Settings s) {
        try {
            return Math.max(0, Long.parseLong(s.get("build-repeat", "0").trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The same options for a goal of another mode (check mode does not propagate to inputs, §4.3). */
    public BuildOptions withMode(int m) {
        return new BuildOptions(m, maxJobs, cores, maxSilentTime, buildTimeout, maxLogSize, keepGoing, keepFailed,
                printBuildTrace, multiplexed, useChroot, keepLog, logCompression, cacheFailure, thisSystem, buildVerbosity,
                buildRepeat, useBuildHook, pollInterval);
    }

    /** {@code build-timeout} and {@code build-max-silent-time}, 0 meaning none. */
    public Limits limits() {
        Limits l = Limits.NONE;
        if (buildTimeout > 0) {
            l = l.withWallClock(Duration.ofSeconds(buildTimeout));
        }
        if (maxSilentTime > 0) {
            l = l.withSilence(Duration.ofSeconds(maxSilentTime));
        }
        return l;
    }
}
