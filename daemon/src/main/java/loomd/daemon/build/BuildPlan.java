package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SortedSet;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.StoreException;
import loomd.protocol.drv.ATermParser;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationException;
import loomd.protocol.drv.DrvPathWithOutputs;

/**
 * The planner's result: every derivation an operation needs, inputs before their users (the graph
 * of daemon.md §4.3 steps 3 and 4), and the top-level requests. Made on the session's thread, read-only
 * afterwards.
 *
 * @param nodes topological order: a node's input derivations come before it
 * @param tops  the requested derivations in request order
 */
public record BuildPlan(SequencedMap<String, Node> nodes, List<DrvPathWithOutputs> tops) {

    /**
     * One derivation. {@code drv} is null when the {@code .drv} is not valid: with no substituter it
     * cannot be had ("cannot build missing derivation").
     */
    public record Node(String drvPath, Derivation drv) {
        public boolean missing() {
            return drv == null;
        }
    }

    public BuildPlan {
        nodes = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(nodes));
        tops = List.copyOf(tops);
    }

    /** Reads every {@code .drv} reachable from {@code tops}; a {@code .drv} that does not parse aborts the operation. */
    public static BuildPlan of(LocalStore store, List<DrvPathWithOutputs> tops) {
        LinkedHashMap<String, Node> nodes = new LinkedHashMap<>();
        for (DrvPathWithOutputs top : tops) {
            visit(store, top.path(), nodes, new ArrayList<>());
        }
        return new BuildPlan(nodes, tops);
    }

    /** Depth first, inputs first; {@code path} guards against a cycle (impossible in a valid store). */
    private static void visit(LocalStore store, String drvPath, Map<String, Node> nodes, List<String> path) {
        if (nodes.containsKey(drvPath)) {
            return;
        }
        if (path.contains(drvPath)) {
            throw new StoreException("cycle in the input derivations of `" + drvPath + "'");
        }
        if (!store.queries().isValidPath(drvPath)) {
            nodes.put(drvPath, new Node(drvPath, null));
            return;
        }
        Derivation drv = read(store, drvPath);
        path.add(drvPath);
        for (String input : drv.inputDrvs().keySet()) {
            visit(store, input, nodes, path);
        }
        path.removeLast();
        nodes.put(drvPath, new Node(drvPath, drv));
    }

    static Derivation read(LocalStore store, String drvPath) {
        try {
            return ATermParser.parse(Files.readAllBytes(store.config().physical(drvPath)), drvPath);
        } catch (IOException | DerivationException e) {
            throw new StoreException(e.getMessage());
        }
    }

    /** Every path the operation should keep alive: each {@code .drv}, its outputs and its sources (§3.6). */
    public List<String> tempRoots() {
        List<String> roots = new ArrayList<>();
        for (Node n : nodes.values()) {
            roots.add(n.drvPath());
            if (!n.missing()) {
                n.drv().outputs().values().forEach(o -> roots.add(o.path()));
                roots.addAll(n.drv().inputSrcs());
            }
        }
        return roots;
    }

    /** The input derivations of {@code node} with the outputs it uses. */
    static Map<String, SortedSet<String>> inputs(Node node) {
        return node.drv().inputDrvs();
    }
}
