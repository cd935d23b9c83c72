package loomd.test.stress;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What the campaign's clients saw: counts, latencies, errors by kind, and invariant violations. */
final class Tally {
    static final long UNANSWERED_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Map<Workload.Op, LongAdder> ops = new EnumMap<>(Workload.Op.class);
    private final Map<Workload.Op, AtomicLong> slowest = new EnumMap<>(Workload.Op.class);
    private final LongAdder unanswered = new LongAdder();
    private final LongAdder databaseLocked = new LongAdder();
    private final LongAdder connectionsLost = new LongAdder();
    private final LongAdder built = new LongAdder();
    private final LongAdder queries = new LongAdder();
    private final LongAdder killedUnder = new LongAdder();
    private final Map<String, LongAdder> daemonErrors = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> buildFailures = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

    Tally() {
        for (Workload.Op op : Workload.Op.values()) {
            ops.put(op, new LongAdder());
            slowest.put(op, new AtomicLong());
        }
    }

    void op(Workload.Op op, long nanos) {
        ops.get(op).increment();
        slowest.get(op).accumulateAndGet(nanos, Math::max);
        // A collection or a verification of the whole store may take long by design; a request may not.
        if (nanos > UNANSWERED_NANOS && !isWholeStore(op)) unanswered.increment();
    }

    private static boolean isWholeStore(Workload.Op op) {
        return switch (op) {
            case GC_DEAD, GC_DELETE, GC_SPECIFIC, VERIFY, OPTIMISE, BUILD -> true;
            default -> false;
        };
    }

    /** An error the daemon sent for {@code op}; one that no fault explains is a violation. */
    void daemonError(Workload.Op op, String message) {
        if (message.contains("database is locked")) databaseLocked.increment();
        String kind = op + ": " + kind(message);
        daemonErrors.computeIfAbsent(kind, k -> new LongAdder()).increment();
        if (!DaemonError.isExpected(op, message)) violation("unexpected error: " + kind);
    }

    /** A failed build: explained by a fault (checked by count for the spawner's death), or a violation. */
    void buildFailed(String message) {
        buildFailures.computeIfAbsent(kind(message), k -> new LongAdder()).increment();
        if (message.contains("the spawner is gone") || message.matches("build of `[^']*' failed")) killedUnder.increment();
        else if (!DaemonError.isExpected(Workload.Op.BUILD, message)) violation("unexpected build failure: " + kind(message));
    }

    /**
     * Builds that failed as a whole ("build of X failed", "the spawner is gone"): a killed builder or
     * spawner explains those running at that moment, and those depending on them; no more.
     */
    long killedUnder() { return killedUnder.sum(); }

    void built() { built.increment(); }

    /** Query requests answered (each QUERY operation sends several). */
    void queried(int requests) { queries.add(requests); }

    long queries() { return queries.sum(); }

    void connectionLost(Exception e) { connectionsLost.increment(); }

    void violation(String what) { violations.add(what); }

    List<String> violations() { return new ArrayList<>(violations); }

    long unanswered() { return unanswered.sum(); }

    long databaseLocked() { return databaseLocked.sum(); }

    long total() { return ops.values().stream().mapToLong(LongAdder::sum).sum(); }

    long count(Workload.Op op) { return ops.get(op).sum(); }

    long builds() { return built.sum(); }

    Map<String, LongAdder> daemonErrors() { return daemonErrors; }

    /** A message without its store paths and numbers, so errors of one kind count together. */
    static String kind(String message) {
        String line = message.lines().findFirst().orElse("");
        return line.replaceAll("/[^ ']*", "PATH").replaceAll("\\d+", "N");
    }

    String table() {
        StringBuilder out = new StringBuilder(String.format("%-14s %10s %12s%n", "operation", "count", "slowest ms"));
        for (Workload.Op op : Workload.Op.values()) {
            out.append(String.format("%-14s %10d %12d%n", op, ops.get(op).sum(),
                    TimeUnit.NANOSECONDS.toMillis(slowest.get(op).get())));
        }
        out.append(String.format("builds succeeded %d; connections lost %d; requests unanswered > 10 s %d;"
                + " 'database is locked' seen %d%n", built.sum(), connectionsLost.sum(), unanswered.sum(),
                databaseLocked.sum()));
        daemonErrors.forEach((k, v) -> out.append(String.format("  daemon error x%d: %s%n", v.sum(), k)));
        buildFailures.forEach((k, v) -> out.append(String.format("  build failed x%d: %s%n", v.sum(), k)));
        return out.toString();
    }
}
