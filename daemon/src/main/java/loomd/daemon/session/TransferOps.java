package loomd.daemon.session;

import java.io.IOException;
import java.util.TreeSet;

import loomd.daemon.store.StagedNar;
import loomd.daemon.store.StoreException;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.ops.AddTextToStore;
import loomd.protocol.ops.AddToStore;
import loomd.protocol.ops.ExportPath;
import loomd.protocol.ops.ImportPaths;
import loomd.protocol.ops.IntReply;
import loomd.protocol.ops.PathsReply;
import loomd.protocol.ops.StringReply;

/** What moves data into or out of the store: adds, export, import. Handlers of {@link OpTable}. */
final class TransferOps {
    private TransferOps() {
    }

    /** wopAddToStore's whole request: the fields, then the NAR, staged before the work phase. */
    record StagedAdd(String name, boolean recursive, String algo, StagedNar nar) implements AutoCloseable {
        @Override
        public void close() {
            nar.close();
        }
    }

    /**
     * Reads the fields and parses the NAR that follows to its end, so a malformed NAR is fatal
     * (protocol.md §6.7).
     */
    static StagedAdd readAddToStore(SessionContext s) throws IOException {
        AddToStore q = AddToStore.read(s.in, s.clientMinor());
        boolean recursive = q.recursive();
        String algo = q.algo();
        if (!q.fixed()) {
            // Upstream's compatibility hack for very old clients (protocol.md §11.6).
            algo = "sha256";
            recursive = true;
        }
        return new StagedAdd(q.name(), recursive, algo, s.store.adds().stageNar(s.in.rawInput(), recursive, algo));
    }

    static StringReply addToStore(SessionContext s, StagedAdd q) throws IOException {
        // Parsed here, in the work phase: an unknown algorithm is an ordinary error (protocol.md §6.7).
        HashAlgorithm algo = HashAlgorithm.fromName(q.algo()).orElseThrow(() -> new StoreException("unknown hash type"));
        return new StringReply(s.store.adds().addStaged(q.name(), q.recursive(), algo, q.nar(), s.roots()));
    }

    static StringReply addTextToStore(SessionContext s, AddTextToStore q) throws IOException {
        return new StringReply(s.store.adds().addTextToStore(q.name(), q.text(), new TreeSet<>(q.references()), s.roots()));
    }

    static IntReply exportPath(SessionContext s, ExportPath q) throws IOException {
        s.stderr.message(1, "exporting path `" + q.path() + "'");
        TunnelSink sink = new TunnelSink(s.stderr);
        try {
            s.store.archives().exportPath(q.path(), q.sign(), sink);
        } finally {
            // Data already produced reaches the client before a STDERR_ERROR (protocol.md §6.16).
            sink.finish();
        }
        return IntReply.ONE;
    }

    /** The bundle is pulled through STDERR_READ inside the work phase; the reply keeps stream order. */
    static PathsReply importPaths(SessionContext s, ImportPaths q) throws IOException {
        return new PathsReply(s.store.archives().importPaths(new TunnelSource(s.stderr), s.roots()));
    }
}
