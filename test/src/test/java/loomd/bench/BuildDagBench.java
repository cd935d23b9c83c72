package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildEvents;
import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.ATermPrinter;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationHasher;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.drv.DerivationPaths;
import loomd.protocol.store.StoreDir;
import loomd.test.support.DaemonProcess;

/**
 * Builds a DAG of {@code loomd.bench.builds} busybox derivations (default 1,000) in layers of
 * {@code loomd.bench.width} (default 50), each depending on two of the layer below, with max-jobs 1, 4
 * and 16 (a fresh DAG per row; {@code loomd.bench.jobs} picks others), in the full sandbox. Reports the wall time, the per-build daemon
 * overhead (median, p99) and the daemon's peak RSS.
 *
 * <p>Overhead of one build: from the moment it could run (its inputs reported built and one of the
 * max-jobs slots free, both seen from the client's trace lines) to its {@code @ build-succeeded}, minus
 * the builder's own run time. The run time is the median of running the same {@code sh -c} with the
 * host's {@code /bin/busybox} directly, without any daemon (busybox's {@code date} has no sub-second
 * clock to measure inside). Another daemon: {@code -Dloomd.bench.socket=... -Dloomd.bench.storeDir=...}
 * and {@code -Dloomd.bench.pid=PID} for its RSS.
 */
@Tag("bench")
class BuildDagBench {
    static final int BUILDS = Knobs.count("loomd.bench.builds", 1_000);
    static final int WIDTH = Knobs.count("loomd.bench.width", 50);
    static final String SCRIPT = "echo built > $out";
    /** {@code -Dloomd.bench.jobs=1,4}: the max-jobs rows (default 1, 4 and 16). */
    static final int[] JOBS = Arrays.stream(Knobs.text("loomd.bench.jobs").isEmpty() ? new String[] {"1", "4", "16"}
            : Knobs.text("loomd.bench.jobs").split(",")).mapToInt(j -> Integer.parseInt(j.trim())).toArray();

    @RegisterExtension
    static final BenchDaemon daemon = new BenchDaemon(b -> Knobs.text("loomd.bench.jfr").isEmpty() ? timings(b)
            : timings(b).jvmOption("-XX:StartFlightRecording=filename=" + Path.of(Knobs.text("loomd.bench.jfr")).toAbsolutePath()
                    + ",settings=profile,dumponexit=true"));

    /** {@code -Dloomd.bench.timings=1}: per-phase lines in the daemon's log ({@code PhaseClock}), copied to target/. */
    private static loomd.test.support.DaemonProcess.Builder timings(loomd.test.support.DaemonProcess.Builder b) {
        return Knobs.text("loomd.bench.timings").isEmpty() ? b : b.jvmOption("-Dloomd.build.timings=true");
    }

    @TempDir
    Path tmp;

    @Test
    void aThousandBuildsWithMaxJobs1And4And16() throws Exception {
        long run = builderRunNanos();
        Table table = new Table(String.format("BuildDagBench: %,d builds, width %d, builder run %.2f ms, against %s",
                BUILDS, WIDTH, run / 1e6, daemon.describe()),
                "max-jobs", "wall s", "builds/s", "overhead median ms", "overhead p99 ms", "daemon peak RSS MiB",
                "daemon CPU ms/build", "loadavg");
        String busybox;
        try (StoreClient client = daemon.client()) {
            busybox = addBusybox(tmp, client);
        }
        for (int jobs : JOBS) {
            Dag dag = Dag.make(daemon.storeDir(), busybox, "j" + jobs + "-" + Knobs.runId());
            try (StoreClient client = daemon.client()) {
                dag.addTo(client);
            }
            long cpuBefore = DaemonCpu.millis(daemon.own());
            Timing t = build(dag, jobs);
            long cpu = DaemonCpu.millis(daemon.own()) - cpuBefore;
            long[] overhead = t.overheads(dag, jobs, run);
            Latencies l = Latencies.ofNanos(overhead);
            table.row(jobs, String.format("%.2f", t.wallNanos / 1e9), String.format("%.0f", BUILDS / (t.wallNanos / 1e9)),
                    String.format("%.2f", l.medianMicros() / 1e3), String.format("%.2f", l.p99Micros() / 1e3),
                    peakRss().map(kb -> String.format("%.0f", kb / 1024.0)).orElse("?"),
                    cpu < 0 ? "?" : String.format("%.2f", (double) cpu / BUILDS), DaemonCpu.loadAverage());
        }
        table.print();
        if (!Knobs.text("loomd.bench.timings").isEmpty() && daemon.own().isPresent()) {
            Files.copy(daemon.own().get().logFile(), Path.of("target/build-timings.log"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The host's busybox with an {@code sh} link, added through {@code client}; returns its store path. */
    static String addBusybox(Path tmp, StoreClient client) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("busybox/bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createSymbolicLink(bin.resolve("sh"), Path.of("busybox"));
        return client.addToStore("busybox", true, "sha256", tmp.resolve("busybox"));
    }

    /** A derivation running {@link #SCRIPT} with busybox's sh, its outputs computed; {@code in}: input derivations. */
    static Derivation derivation(StoreDir dir, DerivationHasher hasher, String busybox, String name,
                                 Map<String, List<String>> in) throws Exception {
        Derivation blank = Derivation.of(new TreeMap<>(Map.of("out", DerivationOutput.regular(""))), in,
                List.of(busybox), "x86_64-linux", busybox + "/bin/busybox", List.of("sh", "-c", SCRIPT),
                new TreeMap<>(Map.of("out", "", "name", name)));
        return DerivationPaths.withComputedOutputs(blank, name, dir, hasher);
    }

    /** The median time of the builder's command run directly, 200 times. */
    private long builderRunNanos() throws Exception {
        long[] nanos = new long[200];
        Path out = tmp.resolve("calibration");
        for (int i = 0; i < nanos.length; i++) {
            long start = System.nanoTime();
            ProcessBuilder pb = new ProcessBuilder("/bin/busybox", "sh", "-c", SCRIPT).redirectErrorStream(true);
            pb.environment().put("out", out.toString());
            Process p = pb.start();
            assertTrue(p.waitFor() == 0, "the builder's command fails without a daemon");
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        Files.deleteIfExists(out);
        return nanos[nanos.length / 2];
    }

    private Timing build(Dag dag, int jobs) throws Exception {
        Timing t = new Timing();
        ClientOptions options = ClientOptions.DEFAULT.withLog(new BuildEvents(e -> t.event(e)));
        try (StoreClient client = StoreClient.connectUnix(daemon.socket(), options)) {
            client.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withUseSubstitutes(false)
                    .withMaxBuildJobs(jobs));
            t.start = System.nanoTime();
            assertTrue(client.buildPaths(dag.tops(), BuildMode.NORMAL));
            t.wallNanos = System.nanoTime() - t.start;
        }
        assertTrue(t.done.size() == BUILDS, "every build reported: " + t.done.size());
        return t;
    }

    private static Optional<Long> peakRss() throws Exception {
        Optional<Long> pid = daemon.own().map(DaemonProcess::pid);
        if (pid.isEmpty() && !Knobs.text("loomd.bench.pid").isEmpty()) {
            pid = Optional.of(Long.parseLong(Knobs.text("loomd.bench.pid")));
        }
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        for (String line : Files.readAllLines(Path.of("/proc/" + pid.get() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Optional.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
            }
        }
        return Optional.empty();
    }

    /** The client-side times (System.nanoTime) of each derivation's start and success traces. */
    static final class Timing {
        final Map<String, Long> started = new ConcurrentHashMap<>();
        final Map<String, Long> done = new ConcurrentHashMap<>();
        long start;
        long wallNanos;

        void event(BuildEvents.Event e) {
            if (e instanceof BuildEvents.Trace tr && !tr.fields().isEmpty()) {
                long now = System.nanoTime();
                switch (tr.name()) {
                    case "build-started" -> started.put(tr.fields().getFirst(), now);
                    case "build-succeeded" -> done.put(tr.fields().getFirst(), now);
                    default -> { }
                }
            }
        }

        /** Per build: (success − the moment it could run) − builder run time; see the class comment. */
        long[] overheads(Dag dag, int jobs, long run) {
            List<String> byStart = new ArrayList<>(started.keySet());
            byStart.sort((a, b) -> Long.compare(started.get(a), started.get(b)));
            long[] result = new long[byStart.size()];
            List<Long> earlierDone = new ArrayList<>();
            for (int i = 0; i < byStart.size(); i++) {
                String drv = byStart.get(i);
                long ready = start;
                for (String input : dag.inputs().getOrDefault(drv, List.of())) {
                    ready = Math.max(ready, done.get(input));
                }
                if (earlierDone.size() >= jobs) {
                    List<Long> sorted = new ArrayList<>(earlierDone);
                    sorted.sort(null);
                    ready = Math.max(ready, sorted.get(sorted.size() - jobs)); // the J-th latest end freed a slot
                }
                result[i] = Math.max(0, done.get(drv) - ready - run);
                earlierDone.add(done.get(drv));
            }
            return result;
        }
    }

    /** The DAG's derivations: {@code .drv} texts by path, inputs by path, and the top layer. */
    record Dag(Map<String, Derivation> drvs, List<String> order, Map<String, List<String>> inputs) {
        static Dag make(String storeDir, String busybox, String run) throws Exception {
            Map<String, byte[]> texts = new HashMap<>();
            Map<String, Derivation> drvs = new HashMap<>();
            List<String> order = new ArrayList<>();
            Map<String, List<String>> inputs = new HashMap<>();
            List<String> below = List.of();
            StoreDir dir = new StoreDir(storeDir);
            DerivationHasher hasher = DerivationHasher.ofText(p -> texts.get(p));
            for (int layer = 0; layer * WIDTH < BUILDS; layer++) {
                List<String> here = new ArrayList<>();
                for (int i = 0; i < WIDTH && layer * WIDTH + i < BUILDS; i++) {
                    Map<String, List<String>> in = new TreeMap<>();
                    if (!below.isEmpty()) {
                        in.put(below.get(i % below.size()), List.of("out"));
                        in.put(below.get((i + 1) % below.size()), List.of("out"));
                    }
                    String name = "dag-" + run + "-" + layer + "-" + i;
                    Derivation d = derivation(dir, hasher, busybox, name, in);
                    String drvPath = DerivationPaths.drvPath(d, name, dir);
                    texts.put(drvPath, ATermPrinter.print(d));
                    drvs.put(drvPath, d);
                    order.add(drvPath);
                    inputs.put(drvPath, List.copyOf(in.keySet()));
                    here.add(drvPath);
                }
                below = here;
            }
            return new Dag(drvs, order, inputs);
        }

        void addTo(StoreClient client) throws Exception {
            for (String path : order) {
                Derivation d = drvs.get(path);
                String name = d.env().get("name");
                String added = client.addTextToStore(name + ".drv", ATermPrinter.print(d), new ArrayList<>(d.references()));
                assertTrue(added.equals(path), added + " != " + path);
            }
        }

        /** The last layer: building it builds everything. */
        List<String> tops() {
            return order.subList(order.size() - Math.min(WIDTH, order.size()), order.size());
        }
    }
}
