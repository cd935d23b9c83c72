package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.PathInfo;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationPaths;
import loomd.protocol.store.BadStorePathException;
import loomd.protocol.store.StoreNames;

/**
 * {@code exportReferencesGraph} (daemon.md §4.6): for each pair {@code NAME PATH} of the attribute,
 * the file {@code NAME} in the builder's directory lists the closure of {@code PATH}, plus the closures
 * of the outputs of every {@code .drv} in it, in upstream's validity-registration format without
 * derivers or hashes. A bad attribute is a build error of the preparation ({@link Rejected}): the goal
 * fails with trace code 0, the operation goes on.
 */
final class ReferencesGraph {
    static final String ATTRIBUTE = "exportReferencesGraph";

    /** The attribute is unusable; the message is upstream's. */
    static final class Rejected extends Exception {
        Rejected(String message) {
            super(message, null, false, false);
        }
    }

    private ReferencesGraph() {}

    /** Writes the files of {@code drv}'s attribute into {@code dir} (mode 0644, owned by the daemon). */
    static void write(LocalStore store, Derivation drv, Path dir) throws Rejected, IOException {
        String value = drv.env().get(ATTRIBUTE);
        if (value == null) {
            return;
        }
        List<String> tokens = BuildEnvironment.tokens(value);
        if (tokens.size() % 2 != 0) {
            throw new Rejected("odd number of tokens in `" + ATTRIBUTE + "': `" + value + "'");
        }
        for (int i = 0; i < tokens.size(); i += 2) {
            String name = tokens.get(i);
            try {
                StoreNames.checkStoreName(name); // upstream's "abuse" of the store-name check (§9.3)
            } catch (BadStorePathException e) {
                throw new Rejected(e.getMessage());
            }
            Path file = dir.resolve(name);
            Files.writeString(file, registration(store, topLevel(store, tokens.get(i + 1))));
            Files.setAttribute(file, "unix:mode", 0644);
        }
    }

    /** The store item {@code path} lies in, which must be valid. */
    private static String topLevel(LocalStore store, String path) throws Rejected {
        String item;
        try {
            item = store.config().storeDir().toStorePath(path);
        } catch (BadStorePathException e) {
            throw new Rejected("`" + ATTRIBUTE + "' contains a non-store path `" + path + "'");
        }
        if (!store.queries().isValidPath(item)) {
            throw new Rejected("`" + ATTRIBUTE + "' contains an invalid path `" + item + "'");
        }
        return item;
    }

    /** Upstream's {@code makeValidityRegistration(paths, false, false)} of the extended closure. */
    static String registration(LocalStore store, String item) {
        SortedSet<String> paths = new TreeSet<>(InputClosure.closure(store, List.of(item)));
        for (String p : List.copyOf(paths)) {
            if (DerivationPaths.isDerivationPath(p)) {
                List<String> outputs = BuildPlan.read(store, p).outputs().values().stream()
                        .map(o -> o.path()).filter(store.queries()::isValidPath).toList();
                paths.addAll(InputClosure.closure(store, outputs));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String p : paths) {
            SortedSet<String> refs = store.queries().queryPathInfo(p).map(PathInfo::references).orElseThrow();
            sb.append(p).append("\n\n").append(refs.size()).append('\n');
            refs.forEach(r -> sb.append(r).append('\n'));
        }
        return sb.toString();
    }
}
