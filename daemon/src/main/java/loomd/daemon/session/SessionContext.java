package loomd.daemon.session;

import java.util.function.Consumer;

import loomd.daemon.Layout;
import loomd.daemon.Settings;
import loomd.daemon.store.LocalStore;
import loomd.daemon.store.SessionRoots;
import loomd.protocol.store.StoreDir;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * The per-connection state an operation sees. Confined to the session's virtual thread.
 */
final class SessionContext {
    final Peer peer;
    final Settings settings;
    final LocalStore store;
    final StoreDir storeDir;
    final Layout layout;
    /** The buffers lent for the current operation (see {@link WireBuffers}); rebound per op. */
    WireReader in;
    WireWriter out;
    final StderrChannel stderr;
    final long clientVersion;
    /** The daemon's log, for lines about the session that the client does not see. */
    final Consumer<String> log;
    private SessionRoots roots;

    SessionContext(Peer peer, Settings settings, LocalStore store, Layout layout, WireReader in, WireWriter out,
            StderrChannel stderr, long clientVersion, Consumer<String> log) {
        this.peer = peer;
        this.settings = settings;
        this.store = store;
        this.storeDir = new StoreDir(layout.storeDir());
        this.layout = layout;
        this.in = in;
        this.out = out;
        this.stderr = stderr;
        this.clientVersion = clientVersion;
        this.log = log;
    }

    void bind(WireBuffers buffers) {
        in = buffers.reader;
        out = buffers.writer;
        stderr.bind(in, out);
    }

    int clientMinor() {
        return (int) (clientVersion & 0xff);
    }

    /** The session's temp roots, created on first use (upstream creates the file lazily too). */
    SessionRoots roots() {
        if (roots == null) {
            roots = store.roots().openSessionRoots();
        }
        return roots;
    }

    /** Removes the temp-roots file, if any; called once when the session ends. */
    void closeRoots() {
        if (roots != null) {
            roots.close();
            roots = null;
        }
    }
}
