package loomd.daemon.session;

import java.util.ArrayList;
import java.util.List;

import loomd.protocol.ops.HasSubstitutes;
import loomd.protocol.ops.IntReply;
import loomd.protocol.ops.NamesReply;
import loomd.protocol.ops.PathsReply;
import loomd.protocol.ops.QuerySubstitutablePathInfo;
import loomd.protocol.ops.QuerySubstitutablePathInfos;
import loomd.protocol.ops.QuerySubstitutablePaths;
import loomd.protocol.ops.SubstitutablePathInfoReply;
import loomd.protocol.ops.SubstitutablePathInfosReply;
import loomd.protocol.ops.SubstituteURLs;
import loomd.protocol.wire.WorkerOp;

/**
 * The substitute queries, which answer "none" until substitutes exist (see {@link Pending}), and
 * the substitute URLs, which are real: handlers of {@link OpTable}.
 */
final class SubstituteOps {
    private static final String NONE = "none";

    private SubstituteOps() {
    }

    static IntReply hasSubstitutes(SessionContext s, HasSubstitutes q) {
        Pending.note(s, WorkerOp.HAS_SUBSTITUTES, NONE);
        return IntReply.ZERO;
    }

    static SubstitutablePathInfoReply querySubstitutablePathInfo(SessionContext s, QuerySubstitutablePathInfo q) {
        Pending.note(s, WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFO, NONE);
        return SubstitutablePathInfoReply.NOT_FOUND;
    }

    static SubstitutablePathInfosReply querySubstitutablePathInfos(SessionContext s, QuerySubstitutablePathInfos q) {
        Pending.note(s, WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFOS, NONE);
        return SubstitutablePathInfosReply.NONE;
    }

    static PathsReply querySubstitutablePaths(SessionContext s, QuerySubstitutablePaths q) {
        Pending.note(s, WorkerOp.QUERY_SUBSTITUTABLE_PATHS, NONE);
        return new PathsReply(List.of());
    }

    /**
     * From the raw settings map (protocol.md §6.81): with {@code build-use-substitutes} exactly
     * "true", the client's URLs, else the daemon's; otherwise none.
     */
    static NamesReply substituteUrls(SessionContext s, SubstituteURLs q) {
        List<String> urls = new ArrayList<>();
        if (s.settings.get("build-use-substitutes", "false").equals("true")) {
            String value = s.settings.get("untrusted-substitute-urls", "");
            if (value.isEmpty()) {
                value = s.settings.get("substitute-urls", "");
            }
            for (String token : value.split("[ \t\n\r]+")) {
                if (!token.isEmpty()) {
                    urls.add(token);
                }
            }
        }
        return new NamesReply(urls);
    }
}
