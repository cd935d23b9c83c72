package loomd.protocol.client;

import java.util.ArrayList;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import loomd.protocol.ops.SetOptions;

/**
 * The arguments of the Guix client's {@code set-build-options}, with its defaults (guix/store.scm):
 * verbosity 0, offload on, buildVerbosity 0, logType 0, printBuildTrace on, substitutes on, no
 * extended traces, no multiplexing; the optional numbers are absent unless set. The client's
 * environment-derived values ({@code user-name}, {@code terminal-columns}, {@code locale}) come
 * from {@link #defaults()} and can be overridden (or removed) to reproduce a capture exactly.
 */
public record BuildOptions(
        boolean keepFailed,
        boolean keepGoing,
        boolean fallback,
        int verbosity,
        OptionalInt rounds,
        OptionalInt maxBuildJobs,
        OptionalInt timeout,
        OptionalInt maxSilentTime,
        boolean offload,
        int buildVerbosity,
        int logType,
        boolean printBuildTrace,
        Optional<String> userName,
        boolean printExtendedBuildTrace,
        boolean multiplexedBuildOutput,
        OptionalInt buildCores,
        boolean useSubstitutes,
        Optional<List<String>> substituteUrls,
        OptionalInt terminalColumns,
        Optional<String> locale) {

    /** The client's defaults, with user name, terminal columns and locale taken from this process. */
    public static BuildOptions defaults() {
        return new BuildOptions(false, false, false, 0, OptionalInt.empty(), OptionalInt.empty(),
                OptionalInt.empty(), OptionalInt.empty(), true, 0, 0, true,
                Optional.ofNullable(System.getProperty("user.name")), false, false, OptionalInt.empty(), true,
                Optional.empty(), OptionalInt.of(terminalColumnsFromEnvironment()), localeFromEnvironment());
    }

    /** Like Guix's {@code terminal-columns} without a terminal: {@code COLUMNS} if a positive number, else 80. */
    static int terminalColumnsFromEnvironment() {
        try {
            int n = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", ""));
            return n > 0 ? n : 80;
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /** What {@code (setlocale LC_MESSAGES)} reports after {@code setlocale(LC_ALL, "")}. */
    static Optional<String> localeFromEnvironment() {
        for (String var : List.of("LC_ALL", "LC_MESSAGES", "LANG")) {
            String v = System.getenv(var);
            if (v != null && !v.isEmpty()) {
                return Optional.of(v);
            }
        }
        return Optional.of("C");
    }

    /** The extra settings pairs, in the client's order (protocol.md §6.19). */
    public List<Map.Entry<String, String>> overrides() {
        List<Map.Entry<String, String>> pairs = new ArrayList<>();
        if (printBuildTrace) {
            pairs.add(pair("print-extended-build-trace", printExtendedBuildTrace ? "1" : "0"));
        }
        if (multiplexedBuildOutput) {
            pairs.add(pair("multiplexed-build-output", "true"));
        }
        timeout.ifPresent(v -> pairs.add(pair("build-timeout", Integer.toString(v))));
        maxSilentTime.ifPresent(v -> pairs.add(pair("build-max-silent-time", Integer.toString(v))));
        maxBuildJobs.ifPresent(v -> pairs.add(pair("build-max-jobs", Integer.toString(v))));
        buildCores.ifPresent(v -> pairs.add(pair("build-cores", Integer.toString(v))));
        substituteUrls.ifPresent(v -> pairs.add(pair("substitute-urls", String.join(" ", v))));
        rounds.ifPresent(v -> pairs.add(pair("build-repeat", Integer.toString(Math.max(0, v - 1)))));
        userName.ifPresent(v -> pairs.add(pair("user-name", v)));
        terminalColumns.ifPresent(v -> pairs.add(pair("terminal-columns", Integer.toString(v))));
        locale.ifPresent(v -> pairs.add(pair("locale", v)));
        return pairs;
    }

    private static Map.Entry<String, String> pair(String name, String value) {
        return new SimpleImmutableEntry<>(name, value);
    }

    public BuildOptions withKeepFailed(boolean v) { return with(b -> b.keepFailed = v); }
    public BuildOptions withKeepGoing(boolean v) { return with(b -> b.keepGoing = v); }
    public BuildOptions withFallback(boolean v) { return with(b -> b.fallback = v); }
    public BuildOptions withVerbosity(int v) { return with(b -> b.verbosity = v); }
    public BuildOptions withRounds(int v) { return with(b -> b.rounds = OptionalInt.of(v)); }
    public BuildOptions withMaxBuildJobs(int v) { return with(b -> b.maxBuildJobs = OptionalInt.of(v)); }
    public BuildOptions withTimeout(int v) { return with(b -> b.timeout = OptionalInt.of(v)); }
    public BuildOptions withMaxSilentTime(int v) { return with(b -> b.maxSilentTime = OptionalInt.of(v)); }
    public BuildOptions withOffload(boolean v) { return with(b -> b.offload = v); }
    public BuildOptions withBuildVerbosity(int v) { return with(b -> b.buildVerbosity = v); }
    public BuildOptions withLogType(int v) { return with(b -> b.logType = v); }
    public BuildOptions withPrintBuildTrace(boolean v) { return with(b -> b.printBuildTrace = v); }
    public BuildOptions withUserName(Optional<String> v) { return with(b -> b.userName = v); }
    public BuildOptions withPrintExtendedBuildTrace(boolean v) { return with(b -> b.printExtendedBuildTrace = v); }
    public BuildOptions withMultiplexedBuildOutput(boolean v) { return with(b -> b.multiplexedBuildOutput = v); }
    public BuildOptions withBuildCores(int v) { return with(b -> b.buildCores = OptionalInt.of(v)); }
    public BuildOptions withUseSubstitutes(boolean v) { return with(b -> b.useSubstitutes = v); }
    public BuildOptions withSubstituteUrls(List<String> v) { return with(b -> b.substituteUrls = Optional.of(List.copyOf(v))); }
    public BuildOptions withTerminalColumns(OptionalInt v) { return with(b -> b.terminalColumns = v); }
    public BuildOptions withLocale(Optional<String> v) { return with(b -> b.locale = v); }

    private BuildOptions with(java.util.function.Consumer<Builder> change) {
        Builder b = new Builder(this);
        change.accept(b);
        return b.build();
    }

    private static final class Builder {
        boolean keepFailed, keepGoing, fallback, offload, printBuildTrace, printExtendedBuildTrace,
                multiplexedBuildOutput, useSubstitutes;
        int verbosity, buildVerbosity, logType;
        OptionalInt rounds, maxBuildJobs, timeout, maxSilentTime, buildCores, terminalColumns;
        Optional<String> userName, locale;
        Optional<List<String>> substituteUrls;

        Builder(BuildOptions o) {
            keepFailed = o.keepFailed; keepGoing = o.keepGoing; fallback = o.fallback; verbosity = o.verbosity;
            rounds = o.rounds; maxBuildJobs = o.maxBuildJobs; timeout = o.timeout; maxSilentTime = o.maxSilentTime;
            offload = o.offload; buildVerbosity = o.buildVerbosity; logType = o.logType;
            printBuildTrace = o.printBuildTrace; userName = o.userName;
            printExtendedBuildTrace = o.printExtendedBuildTrace; multiplexedBuildOutput = o.multiplexedBuildOutput;
            buildCores = o.buildCores; useSubstitutes = o.useSubstitutes; substituteUrls = o.substituteUrls;
            terminalColumns = o.terminalColumns; locale = o.locale;
        }

        BuildOptions build() {
            return new BuildOptions(keepFailed, keepGoing, fallback, verbosity, rounds, maxBuildJobs, timeout,
                    maxSilentTime, offload, buildVerbosity, logType, printBuildTrace, userName,
                    printExtendedBuildTrace, multiplexedBuildOutput, buildCores, useSubstitutes, substituteUrls,
                    terminalColumns, locale);
        }
    }

    /**
     * The {@code wopSetOptions} request the Guix client sends with these options (protocol.md
     * §6.19): every field filled, with the client's values for the numbers only old daemons read
     * (1 job, 3600 s of silence, all cores); the daemon's minor picks which are written.
     */
    public SetOptions toRequest() {
        return new SetOptions(keepFailed, keepGoing, fallback, verbosity,
                Optional.of(new SetOptions.JobLimits(maxBuildJobs.orElse(1), maxSilentTime.orElse(3600))),
                Optional.of(offload), Optional.of(new SetOptions.Logging(buildVerbosity, logType, printBuildTrace)),
                OptionalLong.of(buildCores.orElse(Runtime.getRuntime().availableProcessors())),
                Optional.of(useSubstitutes), overrides());
    }
}
