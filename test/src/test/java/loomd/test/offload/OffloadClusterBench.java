package loomd.test.offload;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildOptions;

/**
 * On demand ({@code -Pbench}): the DAG of {@code loomd.bench.builds} busybox derivations (default 100,
 * layers of {@code loomd.bench.width}, default 10) built through the cluster of {@link NetnsCluster}
 * (two workers with two slots each, the head at {@code max-jobs 0}) against the same shape built on
 * the head itself ({@code max-jobs 4}, no offloading); then a chain of {@code loomd.bench.chain}
 * derivations (default 10) both ways, one at a time, whose difference divided by its length is the
 * per-derivation cost of offloading: the hook's start (a JVM here, Guile for the real one), the
 * exchange, the transfers both ways and the registration. Each row is repeated
 * {@code loomd.bench.rounds} times (default 2) on fresh derivations; {@code /proc/loadavg} is printed
 * next to every figure, since the machine is shared.
 */
@Tag("bench")
class OffloadClusterBench {
    static final int BUILDS = Integer.getInteger("loomd.bench.builds", 100);
    static final int WIDTH = Integer.getInteger("loomd.bench.width", 10);
    static final int CHAIN = Integer.getInteger("loomd.bench.chain", 10);
    static final int ROUNDS = Integer.getInteger("loomd.bench.rounds", 2);

    @TempDir
    Path tmp;

    @Test
    void dagAndChainThroughTheClusterAgainstLocal() throws Exception {
        String why = NetnsCluster.unavailable();
        Assumptions.assumeTrue(why == null, why);
        List<String> rows = new ArrayList<>();
        List<String> phases = new ArrayList<>();
        try (NetnsCluster cluster = NetnsCluster.start(tmp.resolve("cluster"), 2, 2);
             HeadSession head = HeadSession.open(cluster, tmp)) {
            for (int round = 0; round < ROUNDS; round++) {
                double dagRemote = seconds(head, "dag-r" + round, BUILDS, WIDTH, o -> o.withMaxBuildJobs(0));
                head.events.clear();
                double dagLocal = seconds(head, "dag-l" + round, BUILDS, WIDTH, o -> o.withMaxBuildJobs(4).withOffload(false));
                double chainRemote = seconds(head, "chain-r" + round, CHAIN, 1, o -> o.withMaxBuildJobs(0));
                phases.add(medianPhases(head.transcript()));
                head.events.clear();
                double chainLocal = seconds(head, "chain-l" + round, CHAIN, 1, o -> o.withMaxBuildJobs(1).withOffload(false));
                head.events.clear();
                rows.add(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.2f | %.2f | %.0f | %s |", round + 1, dagRemote,
                        dagLocal, chainRemote, chainLocal, (chainRemote - chainLocal) / CHAIN * 1000, loadavg()));
            }
        }
        System.out.printf("OffloadClusterBench: DAG of %d (width %d), chain of %d; 2 workers x 2 slots%n", BUILDS, WIDTH, CHAIN);
        System.out.println("| round | DAG cluster s | DAG local s | chain cluster s | chain local s | offload ms/drv | loadavg |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.println("Chain, median per derivation inside the stand-in (ms), by round:");
        phases.forEach(System.out::println);
    }

    /** Makes a fresh DAG named {@code run}, sets the options, builds it; the wall time in seconds. */
    private static double seconds(HeadSession head, String run, int size, int width, UnaryOperator<BuildOptions> options)
            throws Exception {
        ClusterDag dag = ClusterDag.make(head.drvs, run, size, width);
        head.options(options);
        long start = System.nanoTime();
        assertTrue(head.build(dag.drvPaths()));
        double s = (System.nanoTime() - start) / 1e9;
        for (ClusterDag.Node n : dag.nodes()) {
            assertTrue(n.expected().equals(Files.readString(head.drvs.physical(n.out()))), n.out());
        }
        return s;
    }

    /** The medians of the stand-in's phase lines: JVM start to accept, inputs sent, remote build, outputs back. */
    private static String medianPhases(String transcript) {
        List<long[]> lines = transcript.lines().filter(l -> l.startsWith(RemoteBuild.PHASES)).map(l -> {
            String[] f = l.substring(RemoteBuild.PHASES.length()).strip().split(" ");
            return new long[] {Long.parseLong(f[2]), Long.parseLong(f[4]), Long.parseLong(f[6]), Long.parseLong(f[8])};
        }).toList();
        StringBuilder sb = new StringBuilder();
        String[] names = {"start", "send", "build", "retrieve"};
        for (int i = 0; i < names.length; i++) {
            int k = i;
            long[] v = lines.stream().mapToLong(a -> a[k]).sorted().toArray();
            sb.append(names[i]).append(' ').append(v.length == 0 ? "?" : Long.toString(v[v.length / 2])).append("  ");
        }
        return sb.append("(").append(lines.size()).append(" builds)").toString();
    }

    private static String loadavg() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).strip();
    }
}
