package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import java.util.TreeMap;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.GcAction;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.ATermPrinter;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationHasher;
import loomd.protocol.store.StoreDir;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a collection costs the other clients (goal: no added latency above 10 ms p99):
 * {@code loomd.bench.gcClients} clients (default 4) add small texts back to back, or
 * {@code loomd.bench.gcBuilders} clients (default 2) each build one fresh busybox derivation after
 * another (as {@link BuildDagBench}'s, sandboxed; the time of {@code buildPaths} alone, its
 * {@code .drv} added before). After {@code loomd.bench.gcWarmupSeconds} (default 5, not counted),
 * {@code loomd.bench.gcQuietSeconds} (default 10) with no collection, then while a delete-dead
 * collection of a {@code loomd.bench.gcSmall}-path store (default 100,000, half unreachable, written
 * into the database before the daemon starts, as {@link GcBench}) runs, then as long again with no
 * collection; p50/p99/max of one request in each phase, and the p99 the collection adds to that of
 * the two phases without it (taken together, so a machine load that drifts meanwhile counts less).
 * {@code -Dloomd.bench.jfr=FILE} records the daemon with JFR; {@code -Dloomd.bench.timings=1} has it log
 * each build's phases ({@code PhaseClock}), copied to {@code target/gc-build-timings.log} with the
 * phase each build ran in ({@code target/gc-build-phases.txt}).
 * Against a running daemon ({@link BenchDaemon}) its store is collected as it is: every dead path
 * of it goes.
 */
@Tag("bench")
class GcLatencyBench {
    static final int CLIENTS = Knobs.count("loomd.bench.gcClients", 4);
    static final int BUILDERS = Knobs.count("loomd.bench.gcBuilders", 2);
    static final int QUIET_SECONDS = Knobs.count("loomd.bench.gcQuietSeconds", 10);
    static final int WARMUP_SECONDS = Knobs.count("loomd.bench.gcWarmupSeconds", 5);

    @RegisterExtension final BenchDaemon daemon = new BenchDaemon(builder -> {
        Path root = builder.root();
        Path state = root.resolve("var/guix");
        GcBench.populate(root.resolve(GcBench.STORE.substring(1)), state.resolve("db"), state.resolve("gcroots"),
                GcBench.SMALL);
        String jfr = Knobs.text("loomd.bench.jfr");
        if (!Knobs.text("loomd.bench.timings").isEmpty()) builder.jvmOption("-Dloomd.build.timings=true");
        return jfr.isEmpty() ? builder : builder.jvmOption("-XX:StartFlightRecording=filename="
                + Path.of(jfr).toAbsolutePath() + ",settings=profile,dumponexit=true");
    });

    @TempDir Path tmp;

    /** One request: what it was (a derivation's name, or empty), when it started, and how long it took. */
    private record Sample(String name, long startNanos, long nanos) {}

    /** One client's loop: requests back to back until {@code stop}, each timed into {@code samples}. */
    private interface Load {
        void run(int client, AtomicBoolean stop, ConcurrentLinkedQueue<Sample> samples) throws Exception;
    }

    @Test
    void addsDuringADeleteDeadCollection() throws Exception {
        measure("AddTextToStore", CLIENTS, this::add);
    }

    @Test
    void buildsDuringADeleteDeadCollection() throws Exception {
        String busybox;
        try (StoreClient c = daemon.client()) {
            busybox = BuildDagBench.addBusybox(tmp, c);
        }
        measure("busybox build", BUILDERS, (client, stop, samples) -> build(busybox, client, stop, samples));
    }

    private void measure(String what, int clients, Load load) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        daemon.get();
        List<Thread> adders = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int k = 0; k < clients; k++) {
            int client = k;
            adders.add(Thread.ofPlatform().name("client-" + k).start(() -> {
                try {
                    load.run(client, stop, samples);
                } catch (Exception | AssertionError e) {
                    failures.add(e);
                }
            }));
        }
        Thread.sleep(WARMUP_SECONDS * 1000L);
        long quietStart = System.nanoTime();
        Thread.sleep(QUIET_SECONDS * 1000L);
        String quietLoad = loadAverage();
        long gcStart = System.nanoTime();
        int deleted;
        // Its progress lines (one per path) discarded: printing them would load this JVM, the adders'.
        try (StoreClient c = StoreClient.connectUnix(daemon.socket(), ClientOptions.DEFAULT.withLog(line -> { }))) {
            deleted = c.collectGarbage(GcAction.DELETE_DEAD, List.of(), StoreClient.NO_LIMIT).paths().size();
        }
        long gcEnd = System.nanoTime();
        String gcLoad = loadAverage();
        Thread.sleep(QUIET_SECONDS * 1000L);
        String afterLoad = loadAverage();
        stop.set(true);
        for (Thread t : adders) t.join();
        List<Long> quiet = new ArrayList<>();
        List<Long> during = new ArrayList<>();
        List<Long> after = new ArrayList<>();
        for (Sample s : samples) {
            long end = s.startNanos() + s.nanos();
            if (s.startNanos() >= quietStart && end < gcStart) quiet.add(s.nanos());
            else if (s.startNanos() >= gcStart && end <= gcEnd) during.add(s.nanos());
            else if (s.startNanos() > gcEnd) after.add(s.nanos());
        }
        List<Long> without = new ArrayList<>(quiet);
        without.addAll(after);
        if (!Knobs.text("loomd.bench.timings").isEmpty() && daemon.own().isPresent()) {
            Files.copy(daemon.own().get().logFile(), Path.of("target/gc-build-timings.log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.write(Path.of("target/gc-build-phases.txt"), samples.stream().map(s -> s.name() + " "
                    + (s.startNanos() < quietStart ? "warmup" : s.startNanos() < gcStart ? "before"
                    : s.startNanos() + s.nanos() <= gcEnd ? "during" : "after")).toList());
        }
        Table t = new Table(String.format("GcLatencyBench: %s latency of %d clients, delete-dead of %,d paths"
                + " took %.2f s, %s", what, clients, deleted, (gcEnd - gcStart) / 1e9, daemon.describe()),
                "phase", "requests", "p50 ms", "p99 ms", "max ms", "added p99 ms", "loadavg");
        row(t, "before, no collection", quiet, quietLoad, null);
        row(t, "during delete-dead", during, gcLoad, without.isEmpty() ? null
                : Latencies.ofNanos(without.stream().mapToLong(Long::longValue).toArray()));
        row(t, "after, no collection", after, afterLoad, null);
        t.print();
        assertTrue(failures.isEmpty(), "clients failed: " + failures);
        assertTrue(!quiet.isEmpty() && !during.isEmpty(), "requests in both phases");
    }

    private void add(int client, AtomicBoolean stop, ConcurrentLinkedQueue<Sample> samples) throws Exception {
        try (StoreClient c = daemon.client()) {
            for (int i = 0; !stop.get(); i++) {
                long t0 = System.nanoTime();
                c.addTextToStore("gc-latency-" + client + "-" + i, Knobs.runId() + " " + client + " " + i, List.of());
                samples.add(new Sample("", t0, System.nanoTime() - t0));
            }
        }
    }

    /** Fresh single derivations, built one after another; only {@code buildPaths} is timed. */
    private void build(String busybox, int client, AtomicBoolean stop, ConcurrentLinkedQueue<Sample> samples)
            throws Exception {
        StoreDir dir = new StoreDir(daemon.storeDir());
        DerivationHasher hasher = DerivationHasher.ofText(p -> null);
        // The build's messages discarded: printing them would load this JVM, the clients'.
        try (StoreClient c = StoreClient.connectUnix(daemon.socket(), ClientOptions.DEFAULT.withLog(line -> { }))) {
            c.setOptions(BuildOptions.defaults().withUseSubstitutes(false));
            c.addTempRoot(busybox); // nothing else keeps the builders' input from the collection
            for (int i = 0; !stop.get(); i++) {
                String name = "gc-build-" + Knobs.runId() + "-" + client + "-" + i;
                Derivation d = BuildDagBench.derivation(dir, hasher, busybox, name, new TreeMap<>());
                String drv = c.addTextToStore(name + ".drv", ATermPrinter.print(d), new ArrayList<>(d.references()));
                long t0 = System.nanoTime();
                assertTrue(c.buildPaths(List.of(drv), BuildMode.NORMAL), "built " + drv);
                samples.add(new Sample(name, t0, System.nanoTime() - t0));
            }
        }
    }

    /** A phase's row; {@code quiet}, if given, is the phase without collection, for the added p99. */
    private static void row(Table t, String phase, List<Long> nanos, String load, Latencies quiet) {
        if (nanos.isEmpty()) {
            t.row(phase, 0, "-", "-", "-", "-", load);
            return;
        }
        Latencies l = Latencies.ofNanos(nanos.stream().mapToLong(Long::longValue).toArray());
        String added = quiet == null ? "-" : String.format("%.2f", (l.p99Micros() - quiet.p99Micros()) / 1e3);
        t.row(phase, l.count(), String.format("%.2f", l.medianMicros() / 1e3), String.format("%.2f", l.p99Micros() / 1e3),
                String.format("%.2f", l.maxMicros() / 1e3), added, load);
    }

    private static String loadAverage() throws java.io.IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ", 4)[0];
    }
}
