package loomd.daemon.session;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import loomd.protocol.drv.DerivationPaths;
import loomd.protocol.drv.DrvPathWithOutputs;
import loomd.protocol.ops.BuildPaths;
import loomd.protocol.ops.BuiltinBuilders;
import loomd.protocol.ops.ClearFailedPaths;
import loomd.protocol.ops.EnsurePath;
import loomd.protocol.ops.IntReply;
import loomd.protocol.ops.NamesReply;
import loomd.protocol.ops.PathsReply;
import loomd.protocol.ops.QueryFailedPaths;
import loomd.protocol.wire.WorkerOp;

/** Realising paths (builds, ensure-path), the failure cache, the builtin builders: handlers of {@link OpTable}. */
final class BuildOps {
    static final List<String> BUILTIN_BUILDERS = List.of("download", "git-download");

    private BuildOps() {
    }

    /** Upstream raises this before the work phase, so it is fatal (protocol.md §6.9). */
    static void refuseRepairToUntrusted(SessionContext s, BuildPaths q) throws SessionError {
        if (q.mode() == BuildPaths.REPAIR && !s.peer.trusted()) {
            throw new SessionError("repairing is a privileged operation");
        }
    }

    /**
     * Upstream makes a derivation goal for each {@code .drv} (with or without {@code !outputs})
     * and a substitution goal for anything else (daemon.md §4.1); the mode, whatever it is,
     * becomes the substitution's repair flag. A substitution goal adds the path as a temp root,
     * succeeds at once for a valid path (unless repairing), and ends "no substituters", which is
     * not a failure (§4.15), when no substituter has it. Builds and substitution are later work.
     */
    static IntReply buildPaths(SessionContext s, BuildPaths q) throws IOException, SessionError {
        for (String thing : q.things()) {
            if (DerivationPaths.isDerivationPath(DrvPathWithOutputs.parse(thing).path())) {
                throw Pending.refuse(s, WorkerOp.BUILD_PATHS);
            }
        }
        boolean repair = q.mode() != BuildPaths.NORMAL;
        List<String> missing = new ArrayList<>();
        for (String path : new TreeSet<>(q.things())) {
            s.roots().addTempRoot(path);
            if (repair || !s.store.queries().isValidPath(path)) {
                missing.add(path);
            }
        }
        if (!missing.isEmpty() && s.settings.useSubstitutes) {
            throw Pending.refuse(s, WorkerOp.BUILD_PATHS);
        }
        // Nothing missing, or substitutes disabled: every goal succeeded or found no substituter.
        return IntReply.ONE;
    }

    static IntReply ensurePath(SessionContext s, EnsurePath q) throws IOException, SessionError {
        String path = q.path();
        // Upstream adds the temp root before looking, so the path cannot be collected in between.
        s.roots().addTempRoot(path);
        if (!s.store.queries().isValidPath(path)) {
            // With substitutes on, upstream would try a substituter first; there is none yet.
            String text = "path `" + path + "' does not exist and cannot be created";
            if (s.settings.useSubstitutes) {
                Pending.note(s, WorkerOp.ENSURE_PATH, text);
            }
            throw new SessionError(text);
        }
        return IntReply.ONE;
    }

    static PathsReply queryFailedPaths(SessionContext s, QueryFailedPaths q) {
        return PathsReply.sorted(s.store.queries().queryFailedPaths());
    }

    static IntReply clearFailedPaths(SessionContext s, ClearFailedPaths q) {
        s.store.queries().clearFailedPaths(new TreeSet<>(q.paths()));
        return IntReply.ONE;
    }

    static NamesReply builtinBuilders(SessionContext s, BuiltinBuilders q) {
        return new NamesReply(BUILTIN_BUILDERS);
    }
}
