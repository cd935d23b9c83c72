package loomd.daemon.substitute;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Consumer;

import loomd.daemon.store.StoreException;
import loomd.protocol.store.StoreDir;

/**
 * The {@code have} and {@code info} requests of daemon.md §5.2 on one borrowed query helper, with
 * upstream's checks of the answers: only paths asked for, store paths for deriver and references,
 * integers that parse. Any error disposes of the helper (its stream position is unknown).
 */
final class SubstituteQuery {
    private final QueryHelpers helpers;
    private final StoreDir storeDir;
    private final String program;

    SubstituteQuery(QueryHelpers helpers, StoreDir storeDir, String program) {
        this.helpers = helpers;
        this.storeDir = storeDir;
        this.program = program;
    }

    SortedSet<String> have(String options, Collection<String> paths, Consumer<String> messages)
            throws IOException, InterruptedException {
        SortedSet<String> asked = new TreeSet<>(paths);
        SortedSet<String> found = new TreeSet<>();
        exchange(options, "have", asked, messages, h -> {
            for (String p = line(h); !p.isEmpty(); p = line(h)) {
                found.add(requested(asked, p));
            }
        });
        return found;
    }

    Map<String, SubstitutableInfo> info(String options, Collection<String> paths, Consumer<String> messages)
            throws IOException, InterruptedException {
        SortedSet<String> asked = new TreeSet<>(paths);
        Map<String, SubstitutableInfo> infos = new LinkedHashMap<>();
        exchange(options, "info", asked, messages, h -> {
            for (String p = line(h); !p.isEmpty(); p = line(h)) {
                String path = requested(asked, p);
                String deriver = line(h);
                if (!deriver.isEmpty()) storePath(deriver);
                long n = integer(line(h));
                List<String> refs = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    refs.add(storePath(line(h)));
                }
                long download = integer(line(h));
                long narSize = integer(line(h));
                infos.put(path, new SubstitutableInfo(path, deriver, refs, download, narSize));
            }
        });
        return infos;
    }

    @FunctionalInterface
    private interface Reader {
        void read(HelperProcess h) throws IOException;
    }

    private void exchange(String options, String verb, SortedSet<String> paths, Consumer<String> messages,
            Reader reader) throws IOException, InterruptedException {
        if (paths.isEmpty()) return;
        StringBuilder request = new StringBuilder(verb).append(' ');
        paths.forEach(p -> request.append(p).append(' '));
        HelperProcess h = helpers.acquire(options);
        QueryDiagnostics diag = new QueryDiagnostics();
        h.route(diag);
        boolean healthy = false;
        try {
            h.send(request.append('\n').toString());
            reader.read(h);
            healthy = true;
        } finally {
            h.settleDiagnostics();
            diag.flush(true, messages);
            helpers.release(h, healthy);
        }
    }

    private String line(HelperProcess h) throws IOException {
        String s = h.readReplyLine();
        if (s == null) throw new StoreException("`" + program + " substitute' died unexpectedly");
        return s;
    }

    private static String requested(SortedSet<String> asked, String path) {
        if (!asked.contains(path)) throw new StoreException("got unexpected path `" + path + "' from substituter");
        return path;
    }

    private String storePath(String p) {
        if (!storeDir.isStorePath(p)) throw new StoreException("path `" + p + "' is not in the Nix store");
        return p;
    }

    private static long integer(String s) {
        if (!s.matches("-?[0-9]{1,18}")) throw new StoreException("integer expected from stream: " + s);
        return Long.parseLong(s);
    }
}
