package loomd.test.stress;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.test.build.Derivations;
import loomd.test.support.DaemonProcess;

/**
 * A random DAG of busybox derivations with shared inputs, in layers: each node depends on up to two
 * nodes of the layer below and writes its name and its inputs' contents to {@code $out}, so a lost or
 * wrong input shows in the output. The {@code .drv} files (and busybox) are indirect roots: the
 * campaign's collections may delete outputs, never the recipes.
 */
final class BuildDag {
    record Node(String drvPath, String outPath) {}

    private final List<Node> nodes;
    private final DaemonProcess daemon;

    private BuildDag(List<Node> nodes, DaemonProcess daemon) {
        this.nodes = List.copyOf(nodes);
        this.daemon = daemon;
    }

    static BuildDag create(DaemonProcess daemon, Path work, Path rootsDir, int size, int width, long seed)
            throws Exception {
        Random random = new Random(seed);
        List<Node> nodes = new ArrayList<>();
        try (StoreClient c = daemon.client()) {
            Derivations drvs = new Derivations(daemon, c);
            root(c, rootsDir, drvs.addBusybox(work), "busybox");
            for (int i = 0; i < size; i++) {
                Map<String, List<String>> inputs = new TreeMap<>();
                // set -e: an input deleted under a running build fails it, instead of a shorter output.
                StringBuilder script = new StringBuilder("set -e; echo node-" + seed + "-" + i + " > $out");
                int layerStart = Math.max(0, (i / width - 1) * width);
                for (int k = 0; k < 2 && i >= width; k++) {
                    Node input = nodes.get(layerStart + random.nextInt(width));
                    inputs.put(input.drvPath(), List.of("out"));
                    script.append("; cat ").append(input.outPath()).append(" >> $out");
                }
                Derivation drv = drvs.make("stress-" + i, script.toString(), List.of("out"), inputs, Map.of(), null);
                String drvPath = drvs.add(drv);
                root(c, rootsDir, drvPath, "drv-" + i);
                nodes.add(new Node(drvPath, drv.outputs().get("out").path()));
            }
        }
        return new BuildDag(nodes, daemon);
    }

    private static void root(StoreClient c, Path rootsDir, String path, String name) throws Exception {
        Path link = rootsDir.resolve(name);
        Files.createSymbolicLink(link, Path.of(path));
        c.addIndirectRoot(link.toString());
    }

    Node pick(Random random) {
        return nodes.get(random.nextInt(nodes.size()));
    }

    /** A new derivation on top of a random node: a build that really runs, not one already valid. */
    Node fresh(StoreClient c, Random random) throws java.io.IOException {
        Node input = pick(random);
        // The store's physical location never changes across daemon restarts: the first daemon's is fine.
        Derivations drvs = new Derivations(daemon, c);
        try {
            Derivation drv = drvs.make("fresh", "set -e; echo fresh-" + random.nextLong() + " > $out; cat " + input.outPath()
                    + " >> $out", List.of("out"), Map.of(input.drvPath(), List.of("out")), Map.of(), null);
            return new Node(drvs.add(drv), drv.outputs().get("out").path());
        } catch (java.io.IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new java.io.IOException(e);
        }
    }

    int size() { return nodes.size(); }
}
