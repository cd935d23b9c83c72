package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopSetOptions} (19, protocol.md §6.19). A field guarded by a {@link Gate} is present
 * exactly when the gate is open for the minor the request was read at; {@link #write} requires
 * it then (a client fills every field, and the gates pick). The override pairs are read whole,
 * bounded by {@link loomd.protocol.wire.LimitKind#PAIRS}; they are empty when not sent.
 *
 * @param jobLimits fields 5-6 ({@link Gate#OPTIONS_JOBS_AND_SILENCE})
 * @param useBuildHook field 7 ({@link Gate#OPTIONS_BUILD_HOOK})
 * @param logging fields 8-10 ({@link Gate#OPTIONS_LOGGING})
 * @param buildCores field 11 ({@link Gate#OPTIONS_CORES})
 * @param useSubstitutes field 12 ({@link Gate#OPTIONS_SUBSTITUTES})
 * @param overrides field 13 ({@link Gate#OPTIONS_OVERRIDES}), in wire order
 */
public record SetOptions(boolean keepFailed, boolean keepGoing, boolean tryFallback, long verbosity,
        Optional<JobLimits> jobLimits, Optional<Boolean> useBuildHook, Optional<Logging> logging,
        OptionalLong buildCores, Optional<Boolean> useSubstitutes, List<Map.Entry<String, String>> overrides)
        implements Request<NoReply> {

    public record JobLimits(long maxBuildJobs, long maxSilentTime) { }

    public record Logging(long buildVerbosity, long logType, boolean printBuildTrace) { }

    public SetOptions {
        overrides = List.copyOf(overrides);
    }

    public static SetOptions read(WireReader in, int minor) throws IOException {
        boolean keepFailed = in.readBool();
        boolean keepGoing = in.readBool();
        boolean tryFallback = in.readBool();
        long verbosity = in.readUInt();
        Optional<JobLimits> jobLimits = Gate.OPTIONS_JOBS_AND_SILENCE.open(minor)
                ? Optional.of(new JobLimits(in.readUInt(), in.readUInt())) : Optional.empty();
        Optional<Boolean> useBuildHook = Gate.OPTIONS_BUILD_HOOK.open(minor)
                ? Optional.of(in.readBool()) : Optional.empty();
        Optional<Logging> logging = Gate.OPTIONS_LOGGING.open(minor)
                ? Optional.of(new Logging(in.readUInt(), in.readUInt(), in.readBool())) : Optional.empty();
        OptionalLong buildCores = Gate.OPTIONS_CORES.open(minor)
                ? OptionalLong.of(in.readUInt()) : OptionalLong.empty();
        Optional<Boolean> useSubstitutes = Gate.OPTIONS_SUBSTITUTES.open(minor)
                ? Optional.of(in.readBool()) : Optional.empty();
        List<Map.Entry<String, String>> overrides = Gate.OPTIONS_OVERRIDES.open(minor)
                ? in.readStringPairs() : List.of();
        return new SetOptions(keepFailed, keepGoing, tryFallback, verbosity, jobLimits, useBuildHook, logging,
                buildCores, useSubstitutes, overrides);
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.SET_OPTIONS;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeBool(keepFailed);
        out.writeBool(keepGoing);
        out.writeBool(tryFallback);
        out.writeU64(verbosity);
        if (Gate.OPTIONS_JOBS_AND_SILENCE.open(minor)) {
            JobLimits limits = required(jobLimits, "jobLimits");
            out.writeU64(limits.maxBuildJobs());
            out.writeU64(limits.maxSilentTime());
        }
        if (Gate.OPTIONS_BUILD_HOOK.open(minor)) {
            out.writeBool(required(useBuildHook, "useBuildHook"));
        }
        if (Gate.OPTIONS_LOGGING.open(minor)) {
            Logging l = required(logging, "logging");
            out.writeU64(l.buildVerbosity());
            out.writeU64(l.logType());
            out.writeBool(l.printBuildTrace());
        }
        if (Gate.OPTIONS_CORES.open(minor)) {
            out.writeU64(buildCores.orElseThrow(() -> missing("buildCores")));
        }
        if (Gate.OPTIONS_SUBSTITUTES.open(minor)) {
            out.writeBool(required(useSubstitutes, "useSubstitutes"));
        }
        if (Gate.OPTIONS_OVERRIDES.open(minor)) {
            out.writeStringPairs(overrides);
        }
    }

    @Override
    public NoReply readReply(WireReader in, int minor) {
        return NoReply.INSTANCE;
    }

    private static <T> T required(Optional<T> field, String name) {
        return field.orElseThrow(() -> missing(name));
    }

    private static IllegalStateException missing(String name) {
        return new IllegalStateException("wopSetOptions field " + name + " is absent, but the peer's version"
                + " expects it");
    }
}
