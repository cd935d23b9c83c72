package loomd.protocol.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import loomd.protocol.export.ExportWriter;
import loomd.protocol.nar.NarWriter;
import loomd.protocol.ops.AddIndirectRoot;
import loomd.protocol.ops.AddTempRoot;
import loomd.protocol.ops.AddTextToStore;
import loomd.protocol.ops.AddToStore;
import loomd.protocol.ops.BuildPaths;
import loomd.protocol.ops.BuiltinBuilders;
import loomd.protocol.ops.ClearFailedPaths;
import loomd.protocol.ops.CollectGarbage;
import loomd.protocol.ops.EnsurePath;
import loomd.protocol.ops.ExportPath;
import loomd.protocol.ops.FindRoots;
import loomd.protocol.ops.Gate;
import loomd.protocol.ops.GcReply;
import loomd.protocol.ops.HasSubstitutes;
import loomd.protocol.ops.ImportPaths;
import loomd.protocol.ops.IsValidPath;
import loomd.protocol.ops.OptimiseStore;
import loomd.protocol.ops.PathInfoReply;
import loomd.protocol.ops.QueryAllValidPaths;
import loomd.protocol.ops.QueryDerivationOutputNames;
import loomd.protocol.ops.QueryDerivationOutputs;
import loomd.protocol.ops.QueryDeriver;
import loomd.protocol.ops.QueryFailedPaths;
import loomd.protocol.ops.QueryPathFromHashPart;
import loomd.protocol.ops.QueryPathHash;
import loomd.protocol.ops.QueryPathInfo;
import loomd.protocol.ops.QueryReferences;
import loomd.protocol.ops.QueryReferrers;
import loomd.protocol.ops.QuerySubstitutablePathInfo;
import loomd.protocol.ops.QuerySubstitutablePathInfos;
import loomd.protocol.ops.QuerySubstitutablePaths;
import loomd.protocol.ops.QueryValidDerivers;
import loomd.protocol.ops.QueryValidPaths;
import loomd.protocol.ops.Reply;
import loomd.protocol.ops.Request;
import loomd.protocol.ops.SubstitutablePathInfoReply;
import loomd.protocol.ops.SubstitutablePathInfosReply;
import loomd.protocol.ops.SubstituteURLs;
import loomd.protocol.ops.SyncWithGC;
import loomd.protocol.ops.VerifyStore;

/**
 * Every operation of worker protocol 0x164, sent exactly as the Guix client ({@code guix/store.scm})
 * sends it: same fields, same order, same version gates. Works against guix-daemon and loomd.
 *
 * <p>Threading: one {@code StoreClient} is one connection and is <b>not thread-safe</b>; use it
 * from one thread at a time (one per virtual thread is the intended use). All I/O is plain
 * blocking JDK socket/stream I/O, so calls are safe on virtual threads.
 *
 * <p>Each operation's request and reply layout is defined once, in {@code loomd.protocol.ops},
 * and shared with the daemon.
 *
 * <p>Unlike the Guix client, results are not memoised per connection: every call sends its
 * operation.
 */
public final class StoreClient implements AutoCloseable {
    private final StoreConnection conn;

    private StoreClient(StoreConnection conn) {
        this.conn = conn;
    }

    /** Connects to {@code GUIX_DAEMON_SOCKET} or the default socket. */
    public static StoreClient connect(ClientOptions options) throws IOException {
        return connect(DaemonAddress.fromEnvironment(System.getenv()), options);
    }

    public static StoreClient connect(DaemonAddress address, ClientOptions options) throws IOException {
        return switch (address) {
            case DaemonAddress.Unix u -> connectUnix(u.socket(), options);
            case DaemonAddress.Tcp t -> connectTcp(t.host(), t.port(), options);
        };
    }

    public static StoreClient connectUnix(Path socket, ClientOptions options) throws IOException {
        return over(Sockets.unix(socket), options);
    }

    /** TCP with {@code TCP_NODELAY}, as the client sets it. */
    public static StoreClient connectTcp(String host, int port, ClientOptions options) throws IOException {
        return over(Sockets.tcp(host, port), options);
    }

    private static StoreClient over(SocketChannel channel, ClientOptions options) throws IOException {
        return open(Channels.newInputStream(channel), Channels.newOutputStream(channel), channel, options);
    }

    /** Handshakes over given streams (tests, in-memory peers); {@code resource} is closed on close(). */
    public static StoreClient open(InputStream in, OutputStream out, AutoCloseable resource, ClientOptions options)
            throws IOException {
        return new StoreClient(StoreConnection.handshake(in, out, Sockets.closer(resource), options));
    }

    /** The low-level connection (for callers that need an operation this class lacks). */
    public StoreConnection connection() {
        return conn;
    }

    public long daemonVersion() {
        return conn.daemonVersion();
    }

    /** Sends the request: its op code, then its fields for the daemon's version. */
    private void send(Request<?> request) throws IOException {
        conn.beginOp(request.op().code());
        request.write(conn.out(), conn.daemonMinor());
    }

    /** Flushes, runs the stderr loop (with a data sink or source, or none), reads the reply. */
    private <R extends Reply> R receive(Request<R> request, OutputStream sink, InputStream source) throws IOException {
        conn.finishRequest(sink, source);
        return request.readReply(conn.in(), conn.daemonMinor());
    }

    /** Any typed request, fields as given (tests and tools that send what the named methods never do). */
    public <R extends Reply> R call(Request<R> request) throws IOException {
        send(request);
        return receive(request, null, null);
    }

    // ---- queries on one path ----

    /** Op 1. A path outside the store gives a {@link DaemonException} (non-fatal). */
    public boolean isValidPath(String path) throws IOException {
        return call(new IsValidPath(path)).isTrue();
    }

    /** Op 3. */
    public boolean hasSubstitutes(String path) throws IOException {
        return call(new HasSubstitutes(path)).isTrue();
    }

    /** Op 4: base16 SHA-256 of the path's NAR. */
    public String queryPathHash(String path) throws IOException {
        return call(new QueryPathHash(path)).value();
    }

    /** Op 5. */
    public List<String> queryReferences(String path) throws IOException {
        return call(new QueryReferences(path)).paths();
    }

    /** Op 6. */
    public List<String> queryReferrers(String path) throws IOException {
        return call(new QueryReferrers(path)).paths();
    }

    /** Op 18: the deriver or "". */
    public String queryDeriver(String path) throws IOException {
        return call(new QueryDeriver(path)).value();
    }

    /** Op 22. */
    public List<String> queryDerivationOutputs(String drvPath) throws IOException {
        return call(new QueryDerivationOutputs(drvPath)).paths();
    }

    /** Op 28. */
    public List<String> queryDerivationOutputNames(String drvPath) throws IOException {
        return call(new QueryDerivationOutputNames(drvPath)).paths();
    }

    /** Op 33. */
    public List<String> queryValidDerivers(String path) throws IOException {
        return call(new QueryValidDerivers(path)).paths();
    }

    /** Op 26. */
    public PathInfo queryPathInfo(String path) throws IOException {
        PathInfoReply r = call(new QueryPathInfo(path));
        return new PathInfo(r.deriver(), r.narHash(), r.references(), r.registrationTime(), r.narSize());
    }

    /** Op 29: the valid path with this hash part, or "". */
    public String queryPathFromHashPart(String hashPart) throws IOException {
        return call(new QueryPathFromHashPart(hashPart)).value();
    }

    /** Op 21 (obsolete; not sent by the Guix client): null when not substitutable. */
    public SubstitutableInfo querySubstitutablePathInfo(String path) throws IOException {
        SubstitutablePathInfoReply r = call(new QuerySubstitutablePathInfo(path));
        return r.found() ? new SubstitutableInfo(r.deriver(), r.references(), r.downloadSize(), r.narSize()) : null;
    }

    // ---- queries on path sets ----

    /** Op 23. */
    public List<String> queryAllValidPaths() throws IOException {
        return call(new QueryAllValidPaths()).paths();
    }

    /** Op 31. */
    public List<String> queryValidPaths(Collection<String> paths) throws IOException {
        return call(new QueryValidPaths(List.copyOf(paths))).paths();
    }

    /** Op 32. */
    public List<String> querySubstitutablePaths(Collection<String> paths) throws IOException {
        return call(new QuerySubstitutablePaths(List.copyOf(paths))).paths();
    }

    /** Op 30. */
    public List<SubstitutablePathInfo> querySubstitutablePathInfos(Collection<String> paths) throws IOException {
        List<SubstitutablePathInfo> result = new ArrayList<>();
        for (SubstitutablePathInfosReply.Info i : call(new QuerySubstitutablePathInfos(List.copyOf(paths))).infos()) {
            result.add(new SubstitutablePathInfo(i.path(), i.deriver(), i.references(), i.downloadSize(), i.narSize()));
        }
        return result;
    }

    /** Op 24. */
    public List<String> queryFailedPaths() throws IOException {
        return call(new QueryFailedPaths()).paths();
    }

    /** Op 25. */
    public boolean clearFailedPaths(Collection<String> paths) throws IOException {
        return call(new ClearFailedPaths(List.copyOf(paths))).isTrue();
    }

    // ---- adding to the store ----

    /** Op 8 with UTF-8 text. */
    public String addTextToStore(String name, String text, Collection<String> references) throws IOException {
        return addTextToStore(name, text.getBytes(StandardCharsets.UTF_8), references);
    }

    /** Op 8. */
    public String addTextToStore(String name, byte[] contents, Collection<String> references) throws IOException {
        return call(new AddTextToStore(name, contents, List.copyOf(references))).value();
    }

    /** Writes one complete NAR to the stream it is given. */
    @FunctionalInterface
    public interface NarSource {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Op 7 with the NAR produced by {@code nar}, streamed inline right after the algorithm name
     * (fixed is always 1, as the client sends).
     */
    public String addToStore(String name, boolean recursive, String algo, NarSource nar) throws IOException {
        AddToStore request = new AddToStore(name, true, recursive, algo);
        send(request);
        nar.writeTo(conn.out().rawOutput());
        return receive(request, null, null).value();
    }

    /**
     * Op 7 for a file or tree on disk, as the client's {@code add-to-store}: its NAR is streamed
     * inline. With {@code recursive} false the file must be a regular file.
     */
    public String addToStore(String name, boolean recursive, String algo, Path file) throws IOException {
        return addToStore(name, recursive, algo, out -> new NarWriter().write(file, out));
    }

    /** Op 7 with a ready NAR byte stream, copied unchanged. */
    public String addToStore(String name, boolean recursive, String algo, InputStream nar) throws IOException {
        return addToStore(name, recursive, algo, out -> nar.transferTo(out));
    }

    // ---- building ----

    /**
     * Op 9. Things are .drv paths, {@code drv!out1,out2}, or plain store paths. The mode is sent
     * only to daemons with minor >= 15; older daemons accept only {@link BuildMode#NORMAL}.
     */
    public boolean buildPaths(Collection<String> things, BuildMode mode) throws IOException {
        if (!Gate.BUILD_MODE.open(conn.daemonMinor()) && mode != BuildMode.NORMAL) {
            throw new DaemonException("unsupported build mode", 1);
        }
        return call(new BuildPaths(List.copyOf(things), mode.code())).isTrue();
    }

    /** Op 10. */
    public boolean ensurePath(String path) throws IOException {
        return call(new EnsurePath(path)).isTrue();
    }

    // ---- roots and GC ----

    /** Op 11. */
    public boolean addTempRoot(String path) throws IOException {
        return call(new AddTempRoot(path)).isTrue();
    }

    /** Op 12. */
    public boolean addIndirectRoot(String fileName) throws IOException {
        return call(new AddIndirectRoot(fileName)).isTrue();
    }

    /** Op 13 (not sent by the Guix client). */
    public boolean syncWithGC() throws IOException {
        return call(new SyncWithGC()).isTrue();
    }

    /** Op 14. */
    public List<GcRoot> findRoots() throws IOException {
        List<GcRoot> roots = new ArrayList<>();
        for (Map.Entry<String, String> root : call(new FindRoots()).roots()) {
            roots.add(new GcRoot(root.getKey(), root.getValue()));
        }
        return roots;
    }

    /** Op 20, as the client's {@code run-gc}: ignoreLiveness false, obsolete fields 0. */
    public GcResult collectGarbage(GcAction action, Collection<String> pathsToDelete, long minFreed)
            throws IOException {
        GcReply r = call(new CollectGarbage(action.code(), List.copyOf(pathsToDelete), false, minFreed));
        return new GcResult(r.paths(), r.bytesFreed());
    }

    /** No limit on the bytes to free (the client's default, 2^64-1). */
    public static final long NO_LIMIT = -1L;

    public GcResult collectGarbage(long minFreed) throws IOException {
        return collectGarbage(GcAction.DELETE_DEAD, List.of(), minFreed);
    }

    public GcResult deletePaths(Collection<String> paths, long minFreed) throws IOException {
        return collectGarbage(GcAction.DELETE_SPECIFIC, paths, minFreed);
    }

    public List<String> livePaths() throws IOException {
        return collectGarbage(GcAction.RETURN_LIVE, List.of(), NO_LIMIT).paths();
    }

    public List<String> deadPaths() throws IOException {
        return collectGarbage(GcAction.RETURN_DEAD, List.of(), NO_LIMIT).paths();
    }

    // ---- export / import ----

    /** Op 16: the item arrives through STDERR_WRITE and is copied to {@code sink}. */
    public boolean exportPath(String path, boolean sign, OutputStream sink) throws IOException {
        ExportPath request = new ExportPath(path, sign);
        send(request);
        return receive(request, sink, null).value() == 1;
    }

    /**
     * The client's {@code export-paths}: sorts {@code paths} topologically (asking the daemon for
     * references, as the client does), then writes the bundle: u64 1 and the item for each path,
     * u64 0 at the end. Only the given paths are exported unless {@code recursive}.
     */
    public void exportPaths(List<String> paths, boolean sign, boolean recursive, OutputStream sink) throws IOException {
        List<String> ordered = topologicallySorted(paths);
        if (!recursive) {
            Set<String> wanted = new HashSet<>(paths);
            ordered.removeIf(p -> !wanted.contains(p));
        }
        for (String path : ordered) {
            ExportWriter.writeMarker(sink, true);
            if (!exportPath(path, sign, sink)) {
                return;
            }
        }
        ExportWriter.writeMarker(sink, false);
    }

    /** The client's {@code topologically-sorted}: depth-first over references, dependencies first. */
    public List<String> topologicallySorted(List<String> paths) throws IOException {
        return TopologicalOrder.of(paths, this::queryReferences);
    }

    /** Op 27: the bundle is pulled from {@code bundle} through STDERR_READ. */
    public List<String> importPaths(InputStream bundle) throws IOException {
        ImportPaths request = new ImportPaths();
        send(request);
        return receive(request, null, bundle).paths();
    }

    // ---- settings and maintenance ----

    /** Op 19, with exactly the fields the client sends for the daemon's minor version. */
    public void setOptions(BuildOptions o) throws IOException {
        call(o.toRequest());
    }

    /** Op 34. */
    public boolean optimiseStore() throws IOException {
        return call(new OptimiseStore()).isTrue();
    }

    /**
     * Op 35. Returns the daemon's answer: true if errors <b>remain</b> (the Guix client's
     * {@code verify-store} returns the negation).
     */
    public boolean verifyStore(boolean checkContents, boolean repair) throws IOException {
        return call(new VerifyStore(checkContents, repair)).isTrue();
    }

    /** Op 80; empty without asking when the daemon is older than 0x160, as the client does. */
    public List<String> builtinBuilders() throws IOException {
        if (!Gate.OP_BUILTIN_BUILDERS.open(conn.daemonMinor())) {
            return List.of();
        }
        return call(new BuiltinBuilders()).names();
    }

    /** Op 81; empty without asking when the daemon is older than 0x164. */
    public List<String> substituteUrls() throws IOException {
        if (!Gate.OP_SUBSTITUTE_URLS.open(conn.daemonMinor())) {
            return List.of();
        }
        return call(new SubstituteURLs()).names();
    }

    @Override
    public void close() throws IOException {
        conn.close();
    }
}
