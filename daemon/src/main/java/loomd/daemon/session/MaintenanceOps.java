package loomd.daemon.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import loomd.daemon.store.PathInfo;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.maintain.Deduplicator;
import loomd.protocol.ops.BuildPaths;
import loomd.protocol.ops.IntReply;
import loomd.protocol.ops.OptimiseStore;
import loomd.protocol.ops.VerifyStore;

/** {@code wopOptimiseStore} and {@code wopVerifyStore} (protocol.md §6.34, §6.35; daemon.md §8.1, §8.2). */
final class MaintenanceOps {
    private static final System.Logger LOG = System.getLogger(MaintenanceOps.class.getName());

    private MaintenanceOps() {
    }

    /** Any client may optimise; the summary goes out at error level, the reply is always 1. */
    static IntReply optimiseStore(SessionContext s, OptimiseStore q) {
        s.store.maintenance().optimiseStore(s.roots(), messages(s));
        return IntReply.ONE;
    }

    /** The privilege check is in the work phase here, unlike wopBuildPaths' (protocol.md §6.35). */
    static IntReply verifyStore(SessionContext s, VerifyStore q) throws SessionError {
        if (q.repair() && !s.peer.trusted()) {
            throw new SessionError("you are not privileged to repair paths");
        }
        boolean errors = s.store.maintenance().verifyStore(q.checkContents(),
                q.repair() ? path -> repairPath(s, path) : null, messages(s));
        return errors ? IntReply.ONE : IntReply.ZERO;
    }

    private static Deduplicator.Messages messages(SessionContext s) {
        return (level, text) -> {
            try {
                s.stderr.message(level, text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /**
     * Upstream's {@code repairPath}: a repairing substitution; if that does not succeed (no
     * substituter counts as not succeeding here), a repair build of the path's valid deriver, whose
     * own failure upstream does not report as an error; without one, "cannot repair path".
     */
    static void repairPath(SessionContext s, String path) {
        try {
            if (SessionSubstitutes.repair(s, path)) return;
            String deriver = s.store.queries().queryPathInfo(path).map(PathInfo::deriverOrEmpty).orElse("");
            if (deriver.isEmpty() || !s.store.queries().isValidPath(deriver)) {
                throw new StoreException("cannot repair path `" + path + "'");
            }
            try {
                BuildOps.buildPaths(s, new BuildPaths(List.of(deriver), BuildPaths.REPAIR));
            } catch (SessionError e) {
                LOG.log(System.Logger.Level.INFO, "repair build of `" + deriver + "': " + e.getMessage());
            }
        } catch (StoreException | UncheckedIOException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted");
        } catch (Exception e) {
            throw new StoreException(e.getMessage(), e);
        }
    }
}
