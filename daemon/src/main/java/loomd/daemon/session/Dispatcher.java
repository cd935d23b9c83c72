package loomd.daemon.session;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.daemon.store.PathInfo;
import loomd.daemon.store.StoreException;
import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.Utf8Order;
import loomd.protocol.wire.WorkerOp;

/**
 * Reads one operation's request, runs it inside the work phase, writes its result. Ops are in
 * numeric order (protocol.md §6); each case reads the complete request before
 * {@link StderrChannel#startWork()}, so an error after that point leaves the connection in sync.
 */
final class Dispatcher {
    static final List<String> BUILTIN_BUILDERS = List.of("download", "git-download");

    private final SessionContext s;
    private final SetOptions setOptions;

    Dispatcher(SessionContext context) {
        this.s = context;
        this.setOptions = new SetOptions(context);
    }

    void perform(long code) throws Exception {
        WorkerOp op = WorkerOp.fromCode(code)
                .orElseThrow(() -> new SessionError("invalid operation " + code));
        switch (op) {
            case IS_VALID_PATH -> isValidPath();
            case HAS_SUBSTITUTES -> {
                readStorePath();
                start();
                done();
                s.out.writeBool(false);
            }
            case QUERY_PATH_HASH -> {
                PathInfo info = pathInfo(readStorePath());
                s.out.writeString(info.narHash().toBase16());
            }
            case QUERY_REFERENCES -> s.out.writeStrings(pathInfo(readStorePath()).references());
            case QUERY_REFERRERS -> pathSet(s.store.queryReferrers(readStorePathThenStart()));
            case ADD_TO_STORE -> addToStore();
            case ADD_TEXT_TO_STORE -> addTextToStore();
            case BUILD_PATHS -> buildPaths();
            case ENSURE_PATH -> ensurePath();
            case ADD_TEMP_ROOT -> {
                String path = readStorePathThenStart();
                s.roots().addTempRoot(path);
                one();
            }
            case ADD_INDIRECT_ROOT -> {
                String path = absPath(s.in.readString(LimitKind.PATH));
                start();
                s.store.addIndirectRoot(path);
                one();
            }
            case SYNC_WITH_GC -> {
                start();
                s.store.syncWithGC(this::errorMessage);
                one();
            }
            case FIND_ROOTS -> findRoots();
            case EXPORT_PATH -> exportPath();
            case QUERY_DERIVER -> s.out.writeString(pathInfo(readStorePath()).deriverOrEmpty());
            case SET_OPTIONS -> setOptions.perform();
            case COLLECT_GARBAGE -> collectGarbage();
            case QUERY_SUBSTITUTABLE_PATH_INFO -> {
                absPath(s.in.readString(LimitKind.PATH));
                start();
                done();
                s.out.writeUInt(0);
            }
            case QUERY_DERIVATION_OUTPUTS -> pathSet(s.store.queryDerivationOutputs(readStorePathThenStart()));
            case QUERY_ALL_VALID_PATHS -> {
                start();
                pathSet(s.store.queryAllValidPaths());
            }
            case QUERY_FAILED_PATHS -> {
                start();
                pathSet(s.store.queryFailedPaths());
            }
            case CLEAR_FAILED_PATHS -> {
                Collection<String> paths = new TreeSet<>(s.in.readStrings(LimitKind.PATH));
                start();
                s.store.clearFailedPaths(paths);
                one();
            }
            case QUERY_PATH_INFO -> queryPathInfo();
            case IMPORT_PATHS -> importPaths();
            case QUERY_DERIVATION_OUTPUT_NAMES -> pathSet(s.store.queryDerivationOutputNames(readStorePathThenStart()));
            case QUERY_PATH_FROM_HASH_PART -> {
                String hashPart = s.in.readString(LimitKind.PATH);
                start();
                String path = s.store.queryPathFromHashPart(hashPart);
                done();
                s.out.writeString(path);
            }
            case QUERY_SUBSTITUTABLE_PATH_INFOS -> {
                readStorePaths();
                start();
                done();
                s.out.writeUInt(0);
            }
            case QUERY_VALID_PATHS -> {
                List<String> paths = readStorePaths();
                start();
                pathSet(s.store.queryValidPaths(paths));
            }
            case QUERY_SUBSTITUTABLE_PATHS -> {
                readStorePaths();
                start();
                pathSet(new TreeSet<>());
            }
            case QUERY_VALID_DERIVERS -> pathSet(s.store.queryValidDerivers(readStorePathThenStart()));
            case OPTIMISE_STORE -> {
                start();
                throw unsupported(op);
            }
            case VERIFY_STORE -> verifyStore(op);
            case BUILTIN_BUILDERS -> {
                start();
                done();
                s.out.writeStrings(BUILTIN_BUILDERS);
            }
            case SUBSTITUTE_URLS -> substituteUrls();
        }
    }

    // --- the ops with more than a few lines, in numeric order ---

    private void isValidPath() throws Exception {
        // Checked inside the work phase so that a bad path is recoverable (protocol.md §6.1).
        String path = s.in.readString(LimitKind.PATH);
        start();
        s.storeDir.assertStorePath(path);
        boolean valid = s.store.isValidPath(path);
        done();
        s.out.writeBool(valid);
    }

    private void addToStore() throws Exception {
        String name = s.in.readString(LimitKind.PATH);
        boolean fixed = s.in.readUInt() == 1;
        boolean recursive = s.in.readUInt() == 1;
        String algo = s.in.readString(LimitKind.STRING);
        if (!fixed) {
            // Upstream's compatibility hack for very old clients (protocol.md §11.6).
            algo = "sha256";
            recursive = true;
        }
        try (StoreBackend.Staged staged = s.store.stageNar(s.in.rawInput(), name, recursive, algo)) {
            start();
            String path = s.store.addStaged(name, recursive, algo, staged, s.roots());
            done();
            s.out.writeString(path);
        }
    }

    private void addTextToStore() throws Exception {
        String name = s.in.readString(LimitKind.PATH);
        byte[] text = s.in.readBytes(LimitKind.BYTES);
        List<String> references = readStorePaths();
        start();
        String path = s.store.addTextToStore(name, text, new TreeSet<>(references), s.roots());
        done();
        s.out.writeString(path);
    }

    private void buildPaths() throws Exception {
        readStorePaths();
        if (s.clientMinor() >= 15) {
            long mode = s.in.readUInt();
            if (mode == 1 && !s.peer.trusted()) {
                throw new SessionError("repairing is a privileged operation");
            }
        }
        start();
        throw unsupported(WorkerOp.BUILD_PATHS);
    }

    private void ensurePath() throws Exception {
        String path = readStorePathThenStart();
        // Upstream adds the temp root before looking, so the path cannot be collected in between.
        s.roots().addTempRoot(path);
        if (!s.store.isValidPath(path)) {
            // No substituter and no builds yet: upstream's answer when substitution fails.
            throw new SessionError("path `" + path + "' does not exist and cannot be created");
        }
        one();
    }

    /** A store message at upstream's {@code lvlError}, sent as STDERR_NEXT in the work phase. */
    private void errorMessage(String text) {
        try {
            s.stderr.message(0, text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void findRoots() throws Exception {
        start();
        Map<String, String> roots = s.store.findRoots();
        done();
        s.out.writeStringPairs(roots.entrySet());
    }

    private void exportPath() throws Exception {
        String path = readStorePath();
        boolean sign = s.in.readUInt() == 1;
        start();
        s.stderr.message(1, "exporting path `" + path + "'");
        TunnelSink sink = new TunnelSink(s.stderr);
        try {
            s.store.exportPath(path, sign, sink);
        } finally {
            // Data already produced reaches the client before a STDERR_ERROR (protocol.md §6.16).
            sink.finish();
        }
        one();
    }

    private void collectGarbage() throws Exception {
        if (s.peer.remote()) {
            // Before reading the request, so the connection cannot be resynchronised: fatal.
            throw new SessionError("Garbage collection is disabled for remote hosts.");
        }
        s.in.readUInt();
        readStorePaths();
        boolean ignoreLiveness = s.in.readBool();
        s.in.readU64();
        s.in.readUInt();
        if (s.clientMinor() >= 5) {
            s.in.readUInt();
            s.in.readUInt();
        }
        start();
        if (ignoreLiveness) {
            throw new SessionError("you are not allowed to ignore liveness");
        }
        throw unsupported(WorkerOp.COLLECT_GARBAGE);
    }

    private void queryPathInfo() throws Exception {
        PathInfo info = pathInfo(readStorePath());
        s.out.writeString(info.deriverOrEmpty());
        s.out.writeString(info.narHash().toBase16());
        s.out.writeStrings(info.references());
        s.out.writeUInt(info.registrationTime() & 0xFFFFFFFFL);
        s.out.writeU64(info.narSize());
    }

    private void importPaths() throws Exception {
        start();
        List<String> paths = s.store.importPaths(new TunnelSource(s.stderr), s.roots());
        done();
        s.out.writeStrings(paths);
    }

    private void verifyStore(WorkerOp op) throws Exception {
        s.in.readUInt();
        boolean repair = s.in.readBool();
        start();
        if (repair && !s.peer.trusted()) {
            throw new SessionError("you are not privileged to repair paths");
        }
        throw unsupported(op);
    }

    private void substituteUrls() throws Exception {
        start();
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
        done();
        s.out.writeStrings(urls);
    }

    // --- helpers ---

    /**
     * The answer to an op whose machinery belongs to later work. Upstream guix-daemon performs every
     * op of 0x164 and has exactly one text for an op it does not perform, its {@code default:} case,
     * {@code invalid operation N} (status 1); that is the text used here. Upstream sends it before
     * reading the request and so must close; here the request has been read completely and the
     * work phase started, so, as after any other failure inside an op upstream performs, the
     * connection stays usable.
     */
    static SessionError unsupported(WorkerOp op) {
        return new SessionError("invalid operation " + op.code());
    }

    private void start() {
        s.stderr.startWork();
    }

    private void done() throws IOException {
        s.stderr.stopWork();
    }

    /** Ends the work phase and writes the usual {@code int 1} result. */
    private void one() throws IOException {
        done();
        s.out.writeUInt(1);
    }

    private void pathSet(SortedSet<String> paths) throws IOException {
        done();
        if (paths.comparator() == Utf8Order.COMPARATOR) {
            s.out.writeStrings(paths);
        } else {
            TreeSet<String> sorted = new TreeSet<>(Utf8Order.COMPARATOR);
            sorted.addAll(paths);
            s.out.writeStrings(sorted);
        }
    }

    /** Starts work, looks the path up, ends work; "not valid" is an ordinary error. */
    private PathInfo pathInfo(String path) throws IOException {
        start();
        PathInfo info = s.store.queryPathInfo(path).orElseThrow(() -> StoreException.notValid(path));
        done();
        return info;
    }

    private String readStorePath() throws IOException {
        return s.storeDir.assertStorePath(s.in.readString(LimitKind.PATH));
    }

    private String readStorePathThenStart() throws IOException {
        String path = readStorePath();
        start();
        return path;
    }

    private List<String> readStorePaths() throws IOException {
        List<String> paths = s.in.readStrings(LimitKind.PATH);
        for (String path : paths) {
            s.storeDir.assertStorePath(path);
        }
        return paths;
    }

    /** Upstream's absPath: relative to the daemon's working directory, "/", then canonical. */
    static String absPath(String path) {
        String absolute = path.startsWith("/") ? path : "/" + path;
        String normal = Path.of(absolute).normalize().toString();
        return normal.isEmpty() ? "/" : normal;
    }
}
