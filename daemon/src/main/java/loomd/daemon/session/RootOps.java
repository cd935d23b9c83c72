package loomd.daemon.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import loomd.daemon.store.gc.GcRequest;
import loomd.daemon.store.gc.GcResult;
import loomd.protocol.ops.AddIndirectRoot;
import loomd.protocol.ops.AddTempRoot;
import loomd.protocol.ops.CollectGarbage;
import loomd.protocol.ops.FindRoots;
import loomd.protocol.ops.GcReply;
import loomd.protocol.ops.IntReply;
import loomd.protocol.ops.RootsReply;
import loomd.protocol.ops.SyncWithGC;

/** GC roots and the collector: handlers of {@link OpTable}. */
final class RootOps {
    private RootOps() {
    }

    static IntReply addTempRoot(SessionContext s, AddTempRoot q) throws IOException {
        s.roots().addTempRoot(q.path());
        return IntReply.ONE;
    }

    /**
     * The file name is made absolute here, inside the work phase, as a pure string operation: a
     * name the file system cannot hold (a NUL byte) is then the store's ordinary error, and the
     * connection stays usable.
     */
    static IntReply addIndirectRoot(SessionContext s, AddIndirectRoot q) throws IOException {
        s.store.roots().addIndirectRoot(absPath(q.path()));
        return IntReply.ONE;
    }

    static IntReply syncWithGC(SessionContext s, SyncWithGC q) throws IOException {
        s.store.roots().syncWithGC(text -> errorMessage(s, text));
        return IntReply.ONE;
    }

    static RootsReply findRoots(SessionContext s, FindRoots q) throws IOException {
        return new RootsReply(List.copyOf(s.store.roots().findRoots().entrySet()));
    }

    /** Before the request is read, so the connection cannot be resynchronised: fatal (§6.20). */
    static void refuseRemoteCollection(SessionContext s) throws SessionError {
        if (s.peer.remote()) {
            throw new SessionError("Garbage collection is disabled for remote hosts.");
        }
    }

    /**
     * Liveness follows the session's settings (the daemon's {@code gc-keep-outputs} and
     * {@code gc-keep-derivations}, which trusted clients may change). The collector runs on a
     * platform thread; its lines reach the client while this thread waits.
     */
    static GcReply collectGarbage(SessionContext s, CollectGarbage q) throws SessionError {
        if (q.ignoreLiveness()) {
            throw new SessionError("you are not allowed to ignore liveness");
        }
        GcRequest.Action action;
        try {
            action = GcRequest.Action.of(q.action());
        } catch (IllegalArgumentException e) {
            throw new SessionError(e.getMessage());
        }
        GcRequest request = new GcRequest(action, q.pathsToDelete(), q.maxFreed(), s.settings.gcKeepOutputs,
                s.settings.gcKeepDerivations, s.settings.autoOptimiseStore);
        GcResult result = s.store.gc().collectGarbage(request, text -> gcMessage(s, text));
        return new GcReply(List.copyOf(result.paths()), result.bytesFreed());
    }

    /** Upstream prints the phase lines ("...") at error level, the per-path lines at info level. */
    private static void gcMessage(SessionContext s, String text) {
        try {
            s.stderr.message(text.endsWith("...") ? 0 : 1, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Upstream's absPath and canonPath: relative to the daemon's working directory, "/"; empty
     * and "." components dropped, ".." removes the previous one; symlinks are not resolved. Works
     * on the string alone, so it accepts any byte a client sends.
     */
    static String absPath(String path) {
        StringBuilder canonical = new StringBuilder();
        for (String component : path.split("/")) {
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                canonical.setLength(Math.max(0, canonical.lastIndexOf("/")));
            } else {
                canonical.append('/').append(component);
            }
        }
        return canonical.isEmpty() ? "/" : canonical.toString();
    }

    /** A store message at upstream's {@code lvlError}, sent as STDERR_NEXT in the work phase. */
    private static void errorMessage(SessionContext s, String text) {
        try {
            s.stderr.message(0, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
