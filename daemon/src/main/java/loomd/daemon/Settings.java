package loomd.daemon;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Upstream's settings: a raw string map plus the typed fields derived from it (daemon.md §2.4).
 *
 * <p>The daemon builds one template at startup and never changes it afterwards; every session
 * works on its own {@link #copy()}, so {@code wopSetOptions} on one connection is invisible to the
 * others. A {@code Settings} object is therefore confined to one thread and not synchronised.
 *
 * <p>As upstream, the raw map holds only keys somebody set (the command line, a client); the typed
 * fields start at upstream's defaults and {@link #update()} overwrites those whose key is in the
 * map. Some command-line options (for example {@code --disable-chroot}) set a typed field
 * directly, without a map key, exactly as upstream does.
 */
public final class Settings {

    public static final String DEFAULT_SUBSTITUTE_URLS =
            "https://bordeaux.guix.gnu.org https://ci.guix.gnu.org";

    private final TreeMap<String, String> raw;

    // Typed fields, upstream defaults (daemon.md §2.4, guix-daemon's main()).
    public boolean tryFallback = false;
    public int maxBuildJobs = 1;
    public int buildCores = 0;
    public String thisSystem = "x86_64-linux";
    public boolean multiplexedBuildOutput = false;
    public long maxSilentTime = 3600;
    public long buildTimeout = 86400;
    public long reservedSize = 8L * 1024 * 1024;
    public boolean fsyncMetadata = true;
    public boolean useSQLiteWAL = true;
    public boolean syncBeforeRegistering = false;
    public boolean useSubstitutes = true;
    public String buildUsersGroup = "";
    public boolean useChroot = true;
    public boolean impersonateLinux26 = false;
    public boolean keepLog = true;
    public long maxLogSize = 0;
    public boolean cacheFailure = false;
    public int pollInterval = 5;
    public boolean checkRootReachability = false;
    public boolean gcKeepOutputs = false;
    public boolean gcKeepDerivations = true;
    public boolean autoOptimiseStore = true;
    public boolean envKeepDerivations = false;
    public boolean useBuildHook = true;
    public LogCompression logCompression = LogCompression.GZIP;
    // loomd's own, command line only: a build failing under load is retried with one core (LoadRetry).
    public boolean retryUnderLoad = true;
    public String loadSignal = "";

    // Direct fields, set per session by wopSetOptions.
    public boolean keepFailed = false;
    public boolean keepGoing = false;
    public int buildVerbosity = 0;
    public int logType = 0;
    public boolean printBuildTrace = false;

    public enum LogCompression { NONE, GZIP, BZIP2 }

    public Settings() {
        this.raw = new TreeMap<>();
    }

    private Settings(Settings other) {
        this.raw = new TreeMap<>(other.raw);
        tryFallback = other.tryFallback;
        maxBuildJobs = other.maxBuildJobs;
        buildCores = other.buildCores;
        thisSystem = other.thisSystem;
        multiplexedBuildOutput = other.multiplexedBuildOutput;
        maxSilentTime = other.maxSilentTime;
        buildTimeout = other.buildTimeout;
        reservedSize = other.reservedSize;
        fsyncMetadata = other.fsyncMetadata;
        useSQLiteWAL = other.useSQLiteWAL;
        syncBeforeRegistering = other.syncBeforeRegistering;
        useSubstitutes = other.useSubstitutes;
        buildUsersGroup = other.buildUsersGroup;
        useChroot = other.useChroot;
        impersonateLinux26 = other.impersonateLinux26;
        keepLog = other.keepLog;
        maxLogSize = other.maxLogSize;
        cacheFailure = other.cacheFailure;
        pollInterval = other.pollInterval;
        checkRootReachability = other.checkRootReachability;
        gcKeepOutputs = other.gcKeepOutputs;
        gcKeepDerivations = other.gcKeepDerivations;
        autoOptimiseStore = other.autoOptimiseStore;
        envKeepDerivations = other.envKeepDerivations;
        useBuildHook = other.useBuildHook;
        logCompression = other.logCompression;
        retryUnderLoad = other.retryUnderLoad;
        loadSignal = other.loadSignal;
        keepFailed = other.keepFailed;
        keepGoing = other.keepGoing;
        buildVerbosity = other.buildVerbosity;
        logType = other.logType;
        printBuildTrace = other.printBuildTrace;
    }

    /** An independent copy, for one session. */
    public Settings copy() {
        return new Settings(this);
    }

    public void set(String name, String value) {
        raw.put(name, value);
    }

    public Optional<String> get(String name) {
        return Optional.ofNullable(raw.get(name));
    }

    public String get(String name, String fallback) {
        return raw.getOrDefault(name, fallback);
    }

    /** The raw map, sorted by name (as {@code _NIX_OPTIONS} wants it). */
    public SortedMap<String, String> raw() {
        return Collections.unmodifiableSortedMap(raw);
    }

    /**
     * Re-derives the typed fields from the raw map, as upstream's {@code Settings::update}.
     *
     * @throws SettingsException with upstream's text when a value does not convert; fields
     *     converted before the bad one keep their new values, and the bad value stays in the map
     */
    public void update() throws SettingsException {
        tryFallback = bool("build-fallback", tryFallback);
        maxBuildJobs = (int) integer("build-max-jobs", maxBuildJobs);
        buildCores = (int) integer("build-cores", buildCores);
        thisSystem = raw.getOrDefault("system", thisSystem);
        multiplexedBuildOutput = bool("multiplexed-build-output", multiplexedBuildOutput);
        maxSilentTime = integer("build-max-silent-time", maxSilentTime);
        buildTimeout = integer("build-timeout", buildTimeout);
        reservedSize = integer("gc-reserved-space", reservedSize);
        fsyncMetadata = bool("fsync-metadata", fsyncMetadata);
        useSQLiteWAL = bool("use-sqlite-wal", useSQLiteWAL);
        syncBeforeRegistering = bool("sync-before-registering", syncBeforeRegistering);
        useSubstitutes = bool("build-use-substitutes", useSubstitutes);
        buildUsersGroup = raw.getOrDefault("build-users-group", buildUsersGroup);
        useChroot = bool("build-use-chroot", useChroot);
        impersonateLinux26 = bool("build-impersonate-linux-26", impersonateLinux26);
        keepLog = bool("build-keep-log", keepLog);
        maxLogSize = integer("build-max-log-size", maxLogSize);
        cacheFailure = bool("build-cache-failure", cacheFailure);
        pollInterval = (int) integer("build-poll-interval", pollInterval);
        checkRootReachability = bool("gc-check-reachability", checkRootReachability);
        gcKeepOutputs = bool("gc-keep-outputs", gcKeepOutputs);
        gcKeepDerivations = bool("gc-keep-derivations", gcKeepDerivations);
        autoOptimiseStore = bool("auto-optimise-store", autoOptimiseStore);
        envKeepDerivations = bool("env-keep-derivations", envKeepDerivations);
    }

    private boolean bool(String name, boolean current) throws SettingsException {
        String v = raw.get(name);
        if (v == null) {
            return current;
        }
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new SettingsException("configuration option `" + name
                    + "' should be either `true' or `false', not `" + v + "'");
        };
    }

    private long integer(String name, long current) throws SettingsException {
        String v = raw.get(name);
        if (v == null) {
            return current;
        }
        // Upstream's string2Int: an optional sign, decimal digits, nothing else, must fit.
        if (!v.matches("-?[0-9]{1,18}")) {
            throw new SettingsException("configuration setting `" + name + "' should have an integer value");
        }
        long n = Long.parseLong(v);
        if (n < Integer.MIN_VALUE || n > 0xFFFFFFFFL) {
            throw new SettingsException("configuration setting `" + name + "' should have an integer value");
        }
        return n;
    }

    /**
     * The {@code _NIX_OPTIONS} value passed to helpers: {@code name=value\n} per key, sorted.
     *
     * @throws SettingsException "invalid option name/value" for a name with {@code =} or a newline,
     *     or a value with a newline
     */
    public String toNixOptions() throws SettingsException {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (e.getKey().contains("\n") || e.getKey().contains("=") || e.getValue().contains("\n")) {
                throw new SettingsException("invalid option name/value");
            }
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return sb.toString();
    }
}
