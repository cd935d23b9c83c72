package loomd.test.stress;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import loomd.protocol.client.GcAction;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import loomd.testkit.Poll;

/**
 * The stress and fault campaign (issue 15): clients mixing every kind of work against one daemon,
 * faults injected in a seeded order while they run, and after each fault and at the end the
 * {@link StoreInvariants} judged on a quiet store. {@link #run} returns everything the report needs;
 * the callers decide what must be zero.
 */
final class Campaign {
    record Config(Duration duration, int clients, long seed, int dagSize, int faultsPerKind,
                  Duration settle, List<String> daemonArgs, Set<Faults.Kind> kinds) {}

    record Result(String table, List<String> violations, int faultsInjected, int daemonKills, long acknowledged,
                  long slowestAnswerAfterFaultMillis, long unanswered, long databaseLocked, double opsPerSecond,
                  double buildsPerMinute, double queriesPerSecond) {}

    /** Builds running or being started when a builder or the spawner dies fail with it; later ones must not. */
    static final long FAILED_BUILDS_PER_KILL = 20;

    private final Config config;
    private final Path root;
    private final Path fillerDir;
    private volatile DaemonProcess daemon;
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    /** {@code fillerDir}: where the disk-full fault writes (same file system as the store), or null. */
    Campaign(Config config, Path root, Path fillerDir) {
        this.config = config;
        this.root = root;
        this.fillerDir = fillerDir;
    }

    Result run() throws Exception {
        daemon = start();
        Path rootsDir = Files.createDirectories(root.resolve("client-roots"));
        BuildDag dag = BuildDag.create(daemon, root.resolve("work"), rootsDir, config.dagSize(), 10, config.seed());
        Tally tally = new Tally();
        PauseGate gate = new PauseGate();
        Workload load = new Workload(() -> daemon, rootsDir, dag, config.seed(), tally, gate);
        StoreInvariants invariants = new StoreInvariants(daemon.dbFile(), daemon.physicalStoreDir(), daemon.storeDir());
        Faults faults = new Faults(restarter(), fillerDir);
        List<Faults.Kind> schedule = schedule(faults);
        long started = System.nanoTime();
        long slowestAnswer = 0;
        int daemonKills = 0;
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < config.clients(); i++) {
                int id = i;
                clients.submit(() -> load.client(id));
            }
            long gap = config.duration().toNanos() / (schedule.size() + 1);
            for (Faults.Kind kind : schedule) {
                TimeUnit.NANOSECONDS.sleep(gap);
                long at = System.nanoTime();
                String what = faults.inject(kind);
                if (kind == Faults.Kind.KILL_DAEMON) daemonKills++;
                TimeUnit.MILLISECONDS.sleep(config.settle().toMillis());
                long judged = System.nanoTime();
                slowestAnswer = Math.max(slowestAnswer, judge(gate, invariants, load, tally, kind.toString(), false));
                // When and how long: where a run's wall time goes (the CI version has a budget).
                events.add(String.format("%s: %s (at %.0f s; fault %.1f s, judge %.1f s)", kind, what,
                        (at - started) / 1e9, (judged - at) / 1e9, (System.nanoTime() - judged) / 1e9));
            }
            long left = config.duration().toNanos() - (System.nanoTime() - started);
            if (left > 0) TimeUnit.NANOSECONDS.sleep(left);
            load.stop();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long endJudge = System.nanoTime();
        slowestAnswer = Math.max(slowestAnswer, judge(gate, invariants, load, tally, "end", true));
        events.add(String.format("end: load %.0f s, final judge %.1f s", seconds, (System.nanoTime() - endJudge) / 1e9));
        List<String> violations = new ArrayList<>(tally.violations());
        long kills = schedule.stream().filter(k -> k == Faults.Kind.KILL_SPAWNER || k == Faults.Kind.KILL_BUILDER).count();
        if (tally.killedUnder() > FAILED_BUILDS_PER_KILL * kills) {
            violations.add(tally.killedUnder() + " builds failed after " + kills + " kills of a builder or the spawner:"
                    + " later builds must run (on a new spawner)");
        }
        violations.addAll(leftovers(invariants));
        daemon.close();
        String table = tally.table() + String.join("\n", events) + "\n";
        return new Result(table, violations, schedule.size(), daemonKills, load.acknowledged().size(), slowestAnswer,
                tally.unanswered(), tally.databaseLocked(), tally.total() / seconds, tally.builds() * 60 / seconds,
                tally.queries() / seconds);
    }

    private DaemonProcess start() throws Exception {
        return DaemonProcess.builder(root).tcp().args(config.daemonArgs().toArray(String[]::new)).start();
    }

    private Faults.Restarter restarter() {
        return new Faults.Restarter() {
            @Override public DaemonProcess current() { return daemon; }

            @Override public void killAndRestart() throws Exception {
                List<ProcessHandle> helpers = daemon.process().descendants().toList();
                daemon.process().destroyForcibly().waitFor();
                helpers.forEach(ProcessHandle::destroyForcibly);
                daemon = start();
            }
        };
    }

    /** Every kind {@code faultsPerKind} times, in a seeded order (the disk only where it can fill). */
    private List<Faults.Kind> schedule(Faults faults) {
        List<Faults.Kind> kinds = new ArrayList<>();
        for (Faults.Kind k : config.kinds()) {
            if (k == Faults.Kind.DISK_FULL && !faults.canFillDisk()) continue;
            for (int i = 0; i < config.faultsPerKind(); i++) kinds.add(k);
        }
        Collections.shuffle(kinds, new Random(config.seed()));
        return kinds;
    }

    /**
     * Pauses the clients, checks the store and that a fresh client is answered, resumes; returns the
     * time that answer took. A client stuck in one operation for two minutes is itself a violation.
     */
    private long judge(PauseGate gate, StoreInvariants invariants, Workload load, Tally tally, String after,
            boolean hashEveryPath) throws Exception {
        if (!gate.pause(Duration.ofMinutes(2))) {
            tally.violation("after " + after + ": an operation did not end within 2 minutes");
            return Long.MAX_VALUE;
        }
        try {
            for (String v : UntrustedAttempts.run(daemon, load.acknowledged())) tally.violation("after " + after + ": " + v);
            for (String v : invariants.check(load.acknowledged(), hashEveryPath)) tally.violation("after " + after + ": " + v);
            long t0 = System.nanoTime();
            try (StoreClient c = daemon.client()) {
                c.isValidPath(daemon.storeDir() + "/00000000000000000000000000000000-none");
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            if (millis > 1000) tally.violation("after " + after + ": the daemon took " + millis + " ms to answer");
            return millis;
        } finally {
            gate.resume();
        }
    }

    /**
     * Finished work leaves nothing behind: containers, builder processes, temp-roots files of closed
     * sessions (those of a killed daemon go at the next collection, which this runs first).
     */
    private List<String> leftovers(StoreInvariants invariants) throws Exception {
        List<String> found = new ArrayList<>(invariants.leftovers());
        try (StoreClient c = daemon.client()) {
            c.collectGarbage(GcAction.RETURN_DEAD, List.of(), Long.MAX_VALUE);
        }
        Path tempRoots = daemon.stateDir().resolve("temproots");
        // The store's own staging file (protecting temporary names of adds) lives as long as the daemon.
        String ownStaging = "loomd-" + daemon.pid() + "-staging-";
        java.util.function.Supplier<List<Path>> left = () -> {
            try (var files = Files.list(tempRoots)) {
                return files.filter(f -> !f.getFileName().toString().startsWith(ownStaging)).toList();
            } catch (java.io.IOException e) {
                return List.of();
            }
        };
        Poll.until(Duration.ofSeconds(5), () -> left.get().isEmpty());
        left.get().forEach(f -> found.add("temp-roots file left with every session closed: " + f.getFileName()));
        daemon.process().children().filter(p -> p.info().command().map(c -> c.contains("spawner")).orElse(false))
                .flatMap(ProcessHandle::descendants)
                .forEach(p -> found.add("process left behind: " + p.pid() + " " + p.info().commandLine().orElse("?")));
        return found;
    }
}
