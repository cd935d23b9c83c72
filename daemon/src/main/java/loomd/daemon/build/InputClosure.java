package loomd.daemon.build;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.PathInfo;
import loomd.daemon.store.StoreException;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;

/** {@code inputPaths} of daemon.md §4.3 step 4: the closures of the used outputs of the inputs and of the sources. */
final class InputClosure {
    private InputClosure() {}

    static SortedSet<String> of(LocalStore store, String drvPath, Derivation drv) {
        Deque<String> todo = new ArrayDeque<>(drv.inputSrcs());
        for (var input : drv.inputDrvs().entrySet()) {
            Derivation inputDrv = BuildPlan.read(store, input.getKey());
            for (String name : input.getValue()) {
                DerivationOutput out = inputDrv.outputs().get(name);
                if (out == null) {
                    throw new StoreException("derivation `" + drvPath + "' requires non-existent output `" + name
                            + "' from input derivation `" + input.getKey() + "'");
                }
                todo.add(out.path());
            }
        }
        return closureOf(store, todo);
    }

    /** The closure of {@code seeds} through the database's references; an invalid path aborts the operation. */
    static SortedSet<String> closureOf(LocalStore store, java.util.Collection<String> seeds) {
        Deque<String> todo = new ArrayDeque<>(seeds);
        SortedSet<String> closure = new TreeSet<>();
        while (!todo.isEmpty()) {
            String p = todo.pop();
            if (closure.add(p)) {
                todo.addAll(store.queries().queryPathInfo(p).map(PathInfo::references)
                        .orElseThrow(() -> new StoreException("path `" + p + "' is not valid")));
            }
        }
        return closure;
    }
}
