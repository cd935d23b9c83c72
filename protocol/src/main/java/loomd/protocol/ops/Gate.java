package loomd.protocol.ops;

/**
 * Every place where the worker protocol's layout depends on the peer's minor version: the client
 * gates on the daemon's minor, the daemon on the client's. A gate is open for minors in
 * {@code [from, until)}.
 */
public enum Gate {
    /** {@code wopSetOptions} fields 5-6, maxBuildJobs and maxSilentTime (protocol.md §6.19). */
    OPTIONS_JOBS_AND_SILENCE(0, 0x61),
    /** {@code wopSetOptions} field 7, useBuildHook. */
    OPTIONS_BUILD_HOOK(2),
    /** {@code wopSetOptions} fields 8-10, buildVerbosity, logType, printBuildTrace. */
    OPTIONS_LOGGING(4),
    /** {@code wopSetOptions} field 11, buildCores. */
    OPTIONS_CORES(6, 0x61),
    /** {@code wopSetOptions} field 12, useSubstitutes. */
    OPTIONS_SUBSTITUTES(10),
    /** {@code wopSetOptions} field 13, the override pairs. */
    OPTIONS_OVERRIDES(12),
    /** {@code wopCollectGarbage}: the two removed options after the obsolete field (§6.20). */
    GC_REMOVED_OPTIONS(5),
    /** {@code wopQuerySubstitutablePathInfo}: the NAR size after the download size (§6.21). */
    SUBSTITUTABLE_NAR_SIZE(7),
    /** {@code wopBuildPaths}: the build mode after the paths (§6.9). */
    BUILD_MODE(15),
    /** {@code wopBuiltinBuilders} exists (daemon 0x160); the client asks nothing of older daemons. */
    OP_BUILTIN_BUILDERS(0x60),
    /** {@code wopSubstituteURLs} exists (daemon 0x164). */
    OP_SUBSTITUTE_URLS(0x64);

    private static final int NO_UPPER_BOUND = 0x100;

    private final int from;
    private final int until;

    Gate(int from) {
        this(from, NO_UPPER_BOUND);
    }

    Gate(int from, int until) {
        this.from = from;
        this.until = until;
    }

    /** Whether a peer of this minor version sends (and expects) what the gate guards. */
    public boolean open(int minor) {
        return minor >= from && minor < until;
    }
}
