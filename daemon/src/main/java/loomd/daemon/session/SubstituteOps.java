package loomd.daemon.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

import loomd.daemon.substitute.SubstitutableInfo;
import loomd.daemon.substitute.Substituters;

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

/**
 * The substitute queries, answered by the daemon's shared query helpers ({@link Substituters}),
 * and the substitute URLs: handlers of {@link OpTable}. With substitutes off, or without a
 * {@code guix} program to ask, they answer "none" without starting a helper, as upstream does
 * when no substituter has the path. The helper's diagnostics reach the client at error level,
 * prefixed {@code substitute: }, before the answer.
 */
final class SubstituteOps {
    private SubstituteOps() {
    }

    static IntReply hasSubstitutes(SessionContext s, HasSubstitutes q) throws Exception {
        return havePaths(s, List.of(q.path())).contains(q.path()) ? IntReply.ONE : IntReply.ZERO;
    }

    static SubstitutablePathInfoReply querySubstitutablePathInfo(SessionContext s, QuerySubstitutablePathInfo q)
            throws Exception {
        SubstitutableInfo i = infos(s, List.of(q.path())).get(q.path());
        return i == null ? SubstitutablePathInfoReply.NOT_FOUND
                : new SubstitutablePathInfoReply(true, i.deriver(), i.references(), i.downloadSize(), i.narSize());
    }

    static SubstitutablePathInfosReply querySubstitutablePathInfos(SessionContext s, QuerySubstitutablePathInfos q)
            throws Exception {
        List<SubstitutablePathInfosReply.Info> out = new ArrayList<>();
        for (SubstitutableInfo i : infos(s, q.paths()).values()) {
            out.add(new SubstitutablePathInfosReply.Info(i.path(), i.deriver(), i.references(), i.downloadSize(),
                    i.narSize()));
        }
        return new SubstitutablePathInfosReply(out);
    }

    static PathsReply querySubstitutablePaths(SessionContext s, QuerySubstitutablePaths q) throws Exception {
        return PathsReply.sorted(havePaths(s, q.paths()));
    }

    private static SortedSet<String> havePaths(SessionContext s, List<String> paths) throws Exception {
        Optional<Substituters> subs = substituters(s);
        if (subs.isEmpty()) return new TreeSet<>();
        return subs.get().have(s.settings, paths, errorMessages(s));
    }

    private static SortedMap<String, SubstitutableInfo> infos(SessionContext s, List<String> paths) throws Exception {
        Optional<Substituters> subs = substituters(s);
        if (subs.isEmpty()) return new TreeMap<>();
        return new TreeMap<>(subs.get().info(s.settings, paths, errorMessages(s)));
    }

    /** The daemon's substituters while substitutes are on for this session. */
    static Optional<Substituters> substituters(SessionContext s) {
        return s.settings.useSubstitutes ? Substituters.of(s.store) : Optional.empty();
    }

    private static Consumer<String> errorMessages(SessionContext s) {
        return m -> {
            try {
                s.stderr.message(0, m);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
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
