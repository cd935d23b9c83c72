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
import java.util.Set;
import loomd.protocol.export.ExportWriter;
import loomd.protocol.nar.NarWriter;
import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * Every operation of worker protocol 0x164, sent exactly as the Guix client ({@code guix/store.scm})
 * sends it: same fields, same order, same version gates. Works against guix-daemon and loomd.
 *
 * <p>Threading: one {@code StoreClient} is one connection and is <b>not thread-safe</b>; use it
 * from one thread at a time (one per virtual thread is the intended use). All I/O is plain
 * blocking JDK socket/stream I/O, so calls are safe on virtual threads.
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

    private WireWriter begin(WorkerOp op) throws IOException {
        conn.beginOp(op.code());
        return conn.out();
    }

    private void call() throws IOException {
        conn.finishRequest();
    }

    private List<String> readStrings() throws IOException {
        return conn.in().readStrings(LimitKind.PATH);
    }

    private String readString() throws IOException {
        return conn.in().readString(LimitKind.PATH);
    }

    // ---- queries on one path ----

    /** Op 1. A path outside the store gives a {@link DaemonException} (non-fatal). */
    public boolean isValidPath(String path) throws IOException {
        return pathToBool(WorkerOp.IS_VALID_PATH, path);
    }

    /** Op 3. */
    public boolean hasSubstitutes(String path) throws IOException {
        return pathToBool(WorkerOp.HAS_SUBSTITUTES, path);
    }

    /** Op 4: base16 SHA-256 of the path's NAR. */
    public String queryPathHash(String path) throws IOException {
        return pathToString(WorkerOp.QUERY_PATH_HASH, path);
    }

    /** Op 5. */
    public List<String> queryReferences(String path) throws IOException {
        return pathToList(WorkerOp.QUERY_REFERENCES, path);
    }

    /** Op 6. */
    public List<String> queryReferrers(String path) throws IOException {
        return pathToList(WorkerOp.QUERY_REFERRERS, path);
    }

    /** Op 18: the deriver or "". */
    public String queryDeriver(String path) throws IOException {
        return pathToString(WorkerOp.QUERY_DERIVER, path);
    }

    /** Op 22. */
    public List<String> queryDerivationOutputs(String drvPath) throws IOException {
        return pathToList(WorkerOp.QUERY_DERIVATION_OUTPUTS, drvPath);
    }

    /** Op 28. */
    public List<String> queryDerivationOutputNames(String drvPath) throws IOException {
        return pathToList(WorkerOp.QUERY_DERIVATION_OUTPUT_NAMES, drvPath);
    }

    /** Op 33. */
    public List<String> queryValidDerivers(String path) throws IOException {
        return pathToList(WorkerOp.QUERY_VALID_DERIVERS, path);
    }

    /** Op 26. */
    public PathInfo queryPathInfo(String path) throws IOException {
        begin(WorkerOp.QUERY_PATH_INFO).writeString(path);
        call();
        String deriver = readString();
        String narHash = conn.in().readString(LimitKind.STRING);
        List<String> refs = readStrings();
        long registrationTime = conn.readInt();
        long narSize = conn.in().readU64();
        return new PathInfo(deriver, narHash, refs, registrationTime, narSize);
    }

    /** Op 29: the valid path with this hash part, or "". */
    public String queryPathFromHashPart(String hashPart) throws IOException {
        return pathToString(WorkerOp.QUERY_PATH_FROM_HASH_PART, hashPart);
    }

    /** Op 21 (obsolete; not sent by the Guix client): null when not substitutable. */
    public SubstitutableInfo querySubstitutablePathInfo(String path) throws IOException {
        begin(WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFO).writeString(path);
        call();
        if (!conn.readBool()) {
            return null;
        }
        String deriver = readString();
        List<String> refs = readStrings();
        long download = conn.in().readU64();
        long narSize = conn.daemonMinor() >= 7 ? conn.in().readU64() : 0;
        return new SubstitutableInfo(deriver, refs, download, narSize);
    }

    // ---- queries on path sets ----

    /** Op 23. */
    public List<String> queryAllValidPaths() throws IOException {
        return noArgToList(WorkerOp.QUERY_ALL_VALID_PATHS);
    }

    /** Op 31. */
    public List<String> queryValidPaths(Collection<String> paths) throws IOException {
        return listToList(WorkerOp.QUERY_VALID_PATHS, paths);
    }

    /** Op 32. */
    public List<String> querySubstitutablePaths(Collection<String> paths) throws IOException {
        return listToList(WorkerOp.QUERY_SUBSTITUTABLE_PATHS, paths);
    }

    /** Op 30. */
    public List<SubstitutablePathInfo> querySubstitutablePathInfos(Collection<String> paths) throws IOException {
        begin(WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFOS).writeStrings(paths);
        call();
        int count = conn.in().readCount(LimitKind.LIST);
        List<SubstitutablePathInfo> result = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String path = readString();
            String deriver = readString();
            List<String> refs = readStrings();
            long download = conn.in().readU64();
            long narSize = conn.in().readU64();
            result.add(new SubstitutablePathInfo(path, deriver, refs, download, narSize));
        }
        return result;
    }

    /** Op 24. */
    public List<String> queryFailedPaths() throws IOException {
        return noArgToList(WorkerOp.QUERY_FAILED_PATHS);
    }

    /** Op 25. */
    public boolean clearFailedPaths(Collection<String> paths) throws IOException {
        begin(WorkerOp.CLEAR_FAILED_PATHS).writeStrings(paths);
        return callForBool();
    }

    // ---- adding to the store ----

    /** Op 8 with UTF-8 text. */
    public String addTextToStore(String name, String text, Collection<String> references) throws IOException {
        return addTextToStore(name, text.getBytes(StandardCharsets.UTF_8), references);
    }

    /** Op 8. */
    public String addTextToStore(String name, byte[] contents, Collection<String> references) throws IOException {
        WireWriter w = begin(WorkerOp.ADD_TEXT_TO_STORE);
        w.writeString(name);
        w.writeBytes(contents);
        w.writeStrings(references);
        call();
        return readString();
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
        WireWriter w = begin(WorkerOp.ADD_TO_STORE);
        w.writeString(name);
        w.writeU64(1);
        w.writeBool(recursive);
        w.writeString(algo);
        nar.writeTo(w.rawOutput());
        call();
        return readString();
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
        if (conn.daemonMinor() < 15 && mode != BuildMode.NORMAL) {
            throw new DaemonException("unsupported build mode", 1);
        }
        WireWriter w = begin(WorkerOp.BUILD_PATHS);
        w.writeStrings(things);
        if (conn.daemonMinor() >= 15) {
            w.writeU64(mode.code());
        }
        return callForBool();
    }

    /** Op 10. */
    public boolean ensurePath(String path) throws IOException {
        return pathToBool(WorkerOp.ENSURE_PATH, path);
    }

    // ---- roots and GC ----

    /** Op 11. */
    public boolean addTempRoot(String path) throws IOException {
        return pathToBool(WorkerOp.ADD_TEMP_ROOT, path);
    }

    /** Op 12. */
    public boolean addIndirectRoot(String fileName) throws IOException {
        return pathToBool(WorkerOp.ADD_INDIRECT_ROOT, fileName);
    }

    /** Op 13 (not sent by the Guix client). */
    public boolean syncWithGC() throws IOException {
        begin(WorkerOp.SYNC_WITH_GC);
        return callForBool();
    }

    /** Op 14. */
    public List<GcRoot> findRoots() throws IOException {
        begin(WorkerOp.FIND_ROOTS);
        call();
        // A big system has many roots: bound the count like a path list, not like option pairs.
        int count = conn.in().readCount(LimitKind.LIST);
        List<GcRoot> roots = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            roots.add(new GcRoot(readString(), readString()));
        }
        return roots;
    }

    /** Op 20, as the client's {@code run-gc}: ignoreLiveness false, obsolete fields 0. */
    public GcResult collectGarbage(GcAction action, Collection<String> pathsToDelete, long minFreed)
            throws IOException {
        WireWriter w = begin(WorkerOp.COLLECT_GARBAGE);
        w.writeU64(action.code());
        w.writeStrings(pathsToDelete);
        w.writeBool(false);
        w.writeU64(minFreed);
        w.writeU64(0);
        if (conn.daemonMinor() >= 5) {
            w.writeU64(0);
            w.writeU64(0);
        }
        call();
        List<String> paths = readStrings();
        long freed = conn.in().readU64();
        conn.in().readU64();
        return new GcResult(paths, freed);
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
        WireWriter w = begin(WorkerOp.EXPORT_PATH);
        w.writeString(path);
        w.writeBool(sign);
        conn.finishRequest(sink, null);
        return conn.readInt() == 1;
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
        begin(WorkerOp.IMPORT_PATHS);
        conn.finishRequest(null, bundle);
        return readStrings();
    }

    // ---- settings and maintenance ----

    /** Op 19, with exactly the fields the client sends for the daemon's minor version. */
    public void setOptions(BuildOptions o) throws IOException {
        o.writeFields(begin(WorkerOp.SET_OPTIONS), conn.daemonMinor());
        call();
    }

    /** Op 34. */
    public boolean optimiseStore() throws IOException {
        begin(WorkerOp.OPTIMISE_STORE);
        return callForBool();
    }

    /**
     * Op 35. Returns the daemon's answer: true if errors <b>remain</b> (the Guix client's
     * {@code verify-store} returns the negation).
     */
    public boolean verifyStore(boolean checkContents, boolean repair) throws IOException {
        WireWriter w = begin(WorkerOp.VERIFY_STORE);
        w.writeBool(checkContents);
        w.writeBool(repair);
        return callForBool();
    }

    /** Op 80; empty without asking when the daemon is older than 0x160, as the client does. */
    public List<String> builtinBuilders() throws IOException {
        if (conn.daemonVersion() < 0x160) {
            return List.of();
        }
        return noArgToNames(WorkerOp.BUILTIN_BUILDERS);
    }

    /** Op 81; empty without asking when the daemon is older than 0x164. */
    public List<String> substituteUrls() throws IOException {
        if (conn.daemonVersion() < 0x164) {
            return List.of();
        }
        return noArgToNames(WorkerOp.SUBSTITUTE_URLS);
    }

    // ---- helpers ----

    private boolean callForBool() throws IOException {
        call();
        return conn.readBool();
    }

    private boolean pathToBool(WorkerOp op, String path) throws IOException {
        begin(op).writeString(path);
        return callForBool();
    }

    private List<String> noArgToList(WorkerOp op) throws IOException {
        begin(op);
        call();
        return readStrings();
    }

    /** A list of names, not paths: bounded like plain strings. */
    private List<String> noArgToNames(WorkerOp op) throws IOException {
        begin(op);
        call();
        return conn.in().readStrings(LimitKind.STRING);
    }

    private String pathToString(WorkerOp op, String path) throws IOException {
        begin(op).writeString(path);
        call();
        return readString();
    }

    private List<String> pathToList(WorkerOp op, String path) throws IOException {
        begin(op).writeString(path);
        call();
        return readStrings();
    }

    private List<String> listToList(WorkerOp op, Collection<String> paths) throws IOException {
        begin(op).writeStrings(paths);
        call();
        return readStrings();
    }

    @Override
    public void close() throws IOException {
        conn.close();
    }
}
