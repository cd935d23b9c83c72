package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.PathInfo;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;

/**
 * Repair mode's look at the outputs (daemon.md §4.3 steps 2 and 5, upstream's {@code pathContentsGood}):
 * an output needs rebuilding if it is invalid, missing on disk, or its NAR hash is not the one the
 * database holds. The rebuilt outputs then replace the old trees by renames ({@link OutputRegistrar}).
 */
final class Repair {
    private Repair() {
    }

    /** True if every output is valid and intact; says so for each valid output it checks, as upstream. */
    static boolean intact(LocalStore store, Derivation drv, BuildEvents events) {
        boolean intact = true;
        for (DerivationOutput o : drv.outputs().values()) {
            Optional<PathInfo> info = store.queries().queryPathInfo(o.path());
            if (info.isEmpty()) {
                intact = false;
                continue;
            }
            events.message(1, "checking path `" + o.path() + "'...\n");
            if (!contentsGood(store.config().physical(o.path()), info.get())) {
                events.message(0, "path `" + o.path() + "' is corrupted or missing!\n");
                intact = false;
            }
        }
        return intact;
    }

    private static boolean contentsGood(Path at, PathInfo info) {
        if (!Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            return ReferenceScanner.scan(at, List.of()).nar().narHash().equals(info.narHash());
        } catch (IOException e) {
            return false; // unreadable is as good as corrupted: the rebuild replaces it
        }
    }
}
