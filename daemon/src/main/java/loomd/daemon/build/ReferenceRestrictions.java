package loomd.daemon.build;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;

import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;

/**
 * {@code allowedReferences}, {@code allowedRequisites}, {@code disallowedReferences},
 * {@code disallowedRequisites} (daemon.md §4.12 step 10). Each is checked only when the attribute is
 * present. Unlike upstream (§9.27), the closure of a reference to a sibling output is taken from that
 * output's own scan, not from the database, where it is not registered yet.
 */
final class ReferenceRestrictions {
    private static final String[] ATTRIBUTES = {"allowedReferences", "allowedRequisites", "disallowedReferences",
        "disallowedRequisites"};

    private ReferenceRestrictions() {}

    /**
     * @param scanned   every output of this build (path to its references)
     * @param dbRefs    references of a valid path, from the database
     */
    static void check(Derivation drv, String storeDir, Map<String, SortedSet<String>> scanned,
            Function<String, SortedSet<String>> dbRefs) throws BuildFailure {
        for (String attribute : ATTRIBUTES) {
            String value = drv.env().get(attribute);
            if (value == null) {
                continue;
            }
            Set<String> spec = specPaths(drv, storeDir, value);
            boolean closure = attribute.endsWith("Requisites");
            boolean allowed = attribute.startsWith("allowed");
            for (DerivationOutput output : drv.outputs().values()) { // output-name order, as upstream
                String path = output.path();
                Set<String> used = closure ? closure(path, scanned, dbRefs) : scanned.get(path);
                for (String ref : new TreeSet<>(used)) {
                    if (allowed != spec.contains(ref)) {
                        throw new BuildFailure(BuildFailure.Kind.OUTPUT_REJECTED,
                                "output (`" + path + "') is not allowed to refer to path `" + ref + "'");
                    }
                }
            }
        }
    }

    private static Set<String> specPaths(Derivation drv, String storeDir, String value) throws BuildFailure {
        Set<String> paths = new HashSet<>();
        for (String item : BuildEnvironment.tokens(value)) {
            if (item.startsWith(storeDir + "/")) {
                paths.add(item);
            } else if (drv.outputs().containsKey(item)) {
                paths.add(drv.outputs().get(item).path());
            } else {
                throw new BuildFailure(BuildFailure.Kind.OUTPUT_REJECTED,
                        "derivation contains an invalid reference specifier `" + item + "'");
            }
        }
        return paths;
    }

    /** The requisites of {@code output}: its references, theirs, and so on (the output itself excluded, as upstream). */
    private static Set<String> closure(String output, Map<String, SortedSet<String>> scanned,
            Function<String, SortedSet<String>> dbRefs) {
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(scanned.get(output));
        while (!todo.isEmpty()) {
            String p = todo.pop();
            if (!seen.add(p)) {
                continue;
            }
            SortedSet<String> refs = scanned.containsKey(p) ? scanned.get(p) : dbRefs.apply(p);
            todo.addAll(refs);
        }
        seen.remove(output);
        if (scanned.get(output).contains(output)) {
            seen.add(output);
        }
        return seen;
    }
}
