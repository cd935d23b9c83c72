package loomd.daemon.session;

import java.util.List;

import loomd.daemon.store.PathInfo;
import loomd.daemon.store.StoreException;
import loomd.protocol.ops.IntReply;
import loomd.protocol.ops.IsValidPath;
import loomd.protocol.ops.PathInfoReply;
import loomd.protocol.ops.PathsReply;
import loomd.protocol.ops.QueryAllValidPaths;
import loomd.protocol.ops.QueryDerivationOutputNames;
import loomd.protocol.ops.QueryDerivationOutputs;
import loomd.protocol.ops.QueryDeriver;
import loomd.protocol.ops.QueryPathFromHashPart;
import loomd.protocol.ops.QueryPathHash;
import loomd.protocol.ops.QueryPathInfo;
import loomd.protocol.ops.QueryReferences;
import loomd.protocol.ops.QueryReferrers;
import loomd.protocol.ops.QueryValidDerivers;
import loomd.protocol.ops.QueryValidPaths;
import loomd.protocol.ops.StringReply;

/** The read-only queries on paths and path sets: handlers of {@link OpTable}, in the work phase. */
final class QueryOps {
    private QueryOps() {
    }

    static IntReply isValidPath(SessionContext s, IsValidPath q) {
        return IntReply.of(s.store.queries().isValidPath(q.path()));
    }

    static StringReply queryPathHash(SessionContext s, QueryPathHash q) {
        return new StringReply(pathInfo(s, q.path()).narHash().toBase16());
    }

    static PathsReply queryReferences(SessionContext s, QueryReferences q) {
        return new PathsReply(List.copyOf(pathInfo(s, q.path()).references()));
    }

    static PathsReply queryReferrers(SessionContext s, QueryReferrers q) {
        return PathsReply.sorted(s.store.queries().queryReferrers(q.path()));
    }

    static StringReply queryDeriver(SessionContext s, QueryDeriver q) {
        return new StringReply(pathInfo(s, q.path()).deriverOrEmpty());
    }

    static PathsReply queryDerivationOutputs(SessionContext s, QueryDerivationOutputs q) {
        return PathsReply.sorted(s.store.queries().queryDerivationOutputs(q.path()));
    }

    static PathsReply queryAllValidPaths(SessionContext s, QueryAllValidPaths q) {
        return PathsReply.sorted(s.store.queries().queryAllValidPaths());
    }

    static PathInfoReply queryPathInfo(SessionContext s, QueryPathInfo q) {
        PathInfo info = pathInfo(s, q.path());
        return new PathInfoReply(info.deriverOrEmpty(), info.narHash().toBase16(), List.copyOf(info.references()),
                info.registrationTime(), info.narSize());
    }

    static PathsReply queryDerivationOutputNames(SessionContext s, QueryDerivationOutputNames q) {
        return PathsReply.sorted(s.store.queries().queryDerivationOutputNames(q.path()));
    }

    static StringReply queryPathFromHashPart(SessionContext s, QueryPathFromHashPart q) {
        return new StringReply(s.store.queries().queryPathFromHashPart(q.hashPart()));
    }

    static PathsReply queryValidPaths(SessionContext s, QueryValidPaths q) {
        return PathsReply.sorted(s.store.queries().queryValidPaths(q.paths()));
    }

    static PathsReply queryValidDerivers(SessionContext s, QueryValidDerivers q) {
        return PathsReply.sorted(s.store.queries().queryValidDerivers(q.path()));
    }

    /** The path's registration; "not valid" is an ordinary error. */
    private static PathInfo pathInfo(SessionContext s, String path) {
        return s.store.queries().queryPathInfo(path).orElseThrow(() -> StoreException.notValid(path));
    }
}
