package loomd.test.offload;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import loomd.protocol.drv.Derivation;
import loomd.test.build.Derivations;

/**
 * A DAG of busybox derivations in layers of {@code width}: each node depends on two nodes of the layer
 * below and writes its name, then its inputs' contents, to {@code $out}, so a missing or wrong input
 * changes the output. {@link #expected} is what each output must hold.
 */
record ClusterDag(List<Node> nodes) {
    record Node(String drvPath, String out, String expected) {}

    static ClusterDag make(Derivations drvs, String run, int size, int width) throws Exception {
        return make(drvs, run, size, width, "");
    }

    /** As {@link #make(Derivations, String, int, int)}, each builder running {@code before} first. */
    static ClusterDag make(Derivations drvs, String run, int size, int width, String before) throws Exception {
        List<Node> nodes = new ArrayList<>();
        Map<String, String> contents = new HashMap<>();
        for (int i = 0; i < size; i++) {
            Map<String, List<String>> inputs = new TreeMap<>();
            StringBuilder script = new StringBuilder(before + "echo " + run + "-" + i + " > $out");
            StringBuilder expected = new StringBuilder(run + "-" + i + "\n");
            if (i >= width) {
                int below = (i / width - 1) * width;
                for (Node input : List.of(nodes.get(below + i % width), nodes.get(below + (i + 1) % width))) {
                    inputs.put(input.drvPath(), List.of("out"));
                    script.append("; cat ").append(input.out()).append(" >> $out");
                    expected.append(contents.get(input.out()));
                }
            }
            Derivation d = drvs.make(run + "-" + i, script.toString(), List.of("out"), inputs, Map.of(), null);
            Node node = new Node(drvs.add(d), d.outputs().get("out").path(), expected.toString());
            contents.put(node.out(), node.expected());
            nodes.add(node);
        }
        return new ClusterDag(nodes);
    }

    List<String> drvPaths() {
        return nodes.stream().map(Node::drvPath).toList();
    }
}
