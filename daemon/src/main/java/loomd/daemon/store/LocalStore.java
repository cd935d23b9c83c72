package loomd.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Consumer;

import loomd.protocol.wire.Utf8Order;
import loomd.daemon.store.auth.AuthenticateAgent;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.daemon.store.fs.Canonicaliser;
import loomd.daemon.store.fs.PosixIds;
import loomd.daemon.store.fs.TempNames;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcLock;
import loomd.daemon.store.roots.IndirectRoots;
import loomd.daemon.store.roots.LockerFileLocker;
import loomd.daemon.store.roots.RootFinder;
import loomd.daemon.store.roots.StagingRoots;
import loomd.daemon.store.roots.TempRoots;
import loomd.locker.LockerClient;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.store.BadStorePathException;

/**
 * The local store: database, contents, roots. One instance per daemon, shared by every session;
 * every method is safe to call from many virtual threads at once (see package-info for who owns
 * which thread and lock). Errors are {@link StoreException}s carrying upstream's texts.
 */
public final class LocalStore implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LocalStore.class.getName());

    private final StoreConfig config;
    private final FileLocker locker;
    private final FileLocker.Owner bigLock;
    private final StoreDatabase db;
    private final StoreReader reader;
    private final StagingRoots storeRoots;
    private final PathAdder adder;
    private final Importer importer;
    private final Exporter exporter;
    private final AuthenticateAgent agent;
    private final AutoCloseable ownedLocker;

    /** Temporary names per store-owned temp-roots file before it is rotated. */
    static final int STAGING_ROOTS_PER_FILE = 10_000;

    private LocalStore(StoreConfig config, FileLocker locker, NarCodec nar, StoreObserver observer,
                       AutoCloseable ownedLocker) {
        this.config = config;
        this.ownedLocker = ownedLocker;
        this.locker = locker;
        createDirectories(config);
        this.bigLock = locker.newOwner("big-lock");
        StoreDatabase database = null;
        try {
            takeBigLock(config, bigLock);
            database = StoreDatabase.open(new StoreDatabase.Settings(config.dbDir(), config.fsyncMetadata(),
                    config.useSqliteWal(), config.readConnections()));
        } catch (RuntimeException e) {
            bigLock.close();
            throw e;
        }
        this.db = database;
        this.reader = new StoreReader(config.storeDir(), db, config.pathInfoCacheSize());
        this.storeRoots = new StagingRoots(config.stateDir(), locker, STAGING_ROOTS_PER_FILE);
        this.agent = new AuthenticateAgent(config.authenticateCommand());
        Registrar registrar = new Registrar(config, db, reader);
        this.adder = new PathAdder(config, reader, registrar, locker, nar, new TempNames(), storeRoots,
                new Canonicaliser(PosixIds.self(), config.fsyncMetadata()), observer);
        this.importer = new Importer(config, reader, adder, nar, agent);
        this.exporter = new Exporter(config, reader, nar, agent);
        try {
            // Only one LocalStore per process and store: entries named by this pid are leftovers too.
            TempNames.cleanStale(config.physicalStore());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cleaning stale temporary store entries: " + e.getMessage());
        }
    }

    /** Every store user holds {@code <db>/big-lock} shared (nothing in Guix takes it exclusively). */
    private static void takeBigLock(StoreConfig config, FileLocker.Owner owner) {
        Path bigLockFile = config.dbDir().resolve("big-lock");
        try {
            GcLock.ensureExists(bigLockFile);
        } catch (IOException e) {
            throw new StoreException("opening lock file `" + bigLockFile + "': " + e.getMessage());
        }
        if (!owner.tryLock(bigLockFile, false)) {
            LOG.log(Level.WARNING, "waiting for the big store lock...");
            owner.lock(bigLockFile, false);
        }
    }

    static LocalStore open(StoreConfig config, FileLocker locker, NarCodec nar, StoreObserver observer) {
        return new LocalStore(config, locker, nar, observer, null);
    }

    /**
     * Opens the store with its file locks held by the locker process ({@code h3}'s
     * {@link LockerClient}); the caller owns (and closes, after the store) the client.
     */
    public static LocalStore open(StoreConfig config, LockerClient lockerClient) {
        return open(config, lockerClient, StoreObserver.NONE);
    }

    /** As {@link #open(StoreConfig, LockerClient)}, reporting the steps of every add to {@code observer}. */
    public static LocalStore open(StoreConfig config, LockerClient lockerClient, StoreObserver observer) {
        return new LocalStore(config, new LockerFileLocker(lockerClient), new NarCodec(), observer, null);
    }

    /**
     * Opens the store with a locker process of its own, started here and stopped by {@link #close}
     * (its socket is made briefly under the state directory): for tools and tests without a daemon.
     */
    public static LocalStore open(StoreConfig config) {
        return open(config, StoreObserver.NONE);
    }

    /** As {@link #open(StoreConfig)}, reporting the steps of every add to {@code observer}. */
    public static LocalStore open(StoreConfig config, StoreObserver observer) {
        createDirectories(config);
        LockerFileLocker locker = LockerFileLocker.launch(config.stateDir());
        try {
            return new LocalStore(config, locker, new NarCodec(), observer, locker);
        } catch (RuntimeException e) {
            locker.close();
            throw e;
        }
    }

    private static void createDirectories(StoreConfig config) {
        Path state = config.stateDir();
        try {
            Files.createDirectories(config.physicalStore());
            Files.createDirectories(config.physicalStore().resolve(".links"));
            Path profiles = state.resolve("profiles");
            Files.createDirectories(profiles);
            Files.createDirectories(state.resolve("temproots"));
            Files.createDirectories(config.dbDir());
            Path gcRoots = state.resolve("gcroots");
            if (!Files.exists(gcRoots)) {
                Files.createDirectories(gcRoots);
                Files.createSymbolicLink(gcRoots.resolve("profiles"), profiles);
            }
            Files.createDirectories(profiles.resolve("per-user"));
        } catch (IOException e) {
            throw new StoreException("creating store directories: " + e.getMessage());
        }
    }

    public StoreConfig config() {
        return config;
    }

    // ---- queries -------------------------------------------------------------------------

    /** Upstream asserts a store path (``path `p' is not in the store``) then looks it up. */
    public boolean isValidPath(String path) {
        assertStorePath(path);
        return reader.isValid(path);
    }

    public SortedSet<String> queryValidPaths(Collection<String> paths) {
        return reader.validPaths(paths);
    }

    public Optional<PathInfo> queryPathInfo(String path) {
        return reader.pathInfo(path);
    }

    /** Like {@link #queryPathInfo} but ``path `p' is not valid`` when absent. */
    public PathInfo pathInfoOrThrow(String path) {
        return reader.pathInfoOrThrow(path);
    }

    public SortedSet<String> queryReferrers(String path) {
        return reader.referrers(path);
    }

    public SortedSet<String> queryValidDerivers(String path) {
        return reader.validDerivers(path);
    }

    public SortedSet<String> queryDerivationOutputs(String drvPath) {
        return byteOrdered(reader.derivationOutputs(drvPath).values());
    }

    public SortedSet<String> queryDerivationOutputNames(String drvPath) {
        return byteOrdered(reader.derivationOutputs(drvPath).keySet());
    }

    private static SortedSet<String> byteOrdered(Collection<String> strings) {
        SortedSet<String> out = new TreeSet<>(Utf8Order.COMPARATOR);
        out.addAll(strings);
        return out;
    }

    /** The valid path starting with {@code <store>/<hashPart>}, or ""; "invalid hash part" unless 32 chars. */
    public String queryPathFromHashPart(String hashPart) {
        return reader.pathFromHashPart(hashPart);
    }

    /** Every valid path; a full scan, run on a platform thread. */
    public SortedSet<String> queryAllValidPaths() {
        return reader.allValidPaths();
    }

    public SortedSet<String> queryFailedPaths() {
        return reader.failedPaths();
    }

    public void clearFailedPaths(Collection<String> paths) {
        db.write(d -> StoreQueries.clearFailedPaths(d, List.copyOf(paths)));
    }

    /**
     * For the garbage collector: forgets a valid path that nothing else refers to (upstream's
     * {@code invalidatePathChecked}); its files are the caller's business.
     */
    public void invalidatePathChecked(String path) {
        try {
            db.write(d -> StoreQueries.invalidateChecked(d, path));
        } finally {
            reader.forget(path);
        }
    }

    // ---- adding ----------------------------------------------------------------------------

    /**
     * Reads the inline NAR of {@code wopAddToStore} from {@code raw} (exactly its bytes), restoring
     * it under a temporary name in the store while hashing it. A malformed NAR throws (the
     * restorer's exception) and leaves nothing behind. Close the result if it is not added.
     */
    public StagedNar stageNar(InputStream raw) throws IOException {
        return adder.stage(raw);
    }

    /**
     * As {@link #stageNar(InputStream)}, with the request's fields, so that the digest the
     * destination needs is computed in the same pass (flat adds: the file's contents; recursive
     * adds with an algorithm other than sha256: the NAR in that algorithm). An unknown
     * {@code algo} is not an error here: {@link #addStaged} reports it in the work phase.
     */
    public StagedNar stageNar(InputStream raw, boolean recursive, String algo) throws IOException {
        return adder.stage(raw, recursive, HashAlgorithm.fromName(algo));
    }

    /** The work phase of {@code wopAddToStore}; consumes (closes) {@code staged}. */
    public String addStaged(String name, boolean recursive, HashAlgorithm algo, StagedNar staged,
                            SessionRoots roots) {
        try {
            return adder.addStaged(name, recursive, algo, staged, roots);
        } catch (IOException e) {
            throw new StoreException("adding `" + name + "' to the store: " + e.getMessage());
        }
    }

    /** {@code wopAddTextToStore}, including the {@code .drv} checks and DerivationOutputs rows. */
    public String addTextToStore(String name, byte[] text, SortedSet<String> refs, SessionRoots roots) {
        try {
            return adder.addText(name, text, refs, roots);
        } catch (IOException e) {
            throw new StoreException("adding `" + name + "' to the store: " + e.getMessage());
        }
    }

    // ---- import / export ---------------------------------------------------------------------

    /** {@code wopExportPath}: one export item to {@code out}. */
    public void exportPath(String path, boolean sign, OutputStream out) {
        try {
            exporter.export(path, sign, out);
        } catch (IOException e) {
            throw new StoreException(e.getMessage());
        }
    }

    /**
     * {@code wopImportPaths}: reads a bundle from {@code source}; a signature is always required
     * ({@code trusted} does not change that, as upstream). Returns the paths in stream order.
     */
    public List<String> importPaths(InputStream source, boolean trusted, SessionRoots roots) {
        try {
            return importer.importPaths(source, roots);
        } catch (IOException e) {
            throw new StoreException(e.getMessage());
        }
    }

    /** Upstream's {@code gc-reserved-space} default. */
    static final long RESERVED_SIZE = 8L << 20;

    /**
     * Session start: {@code <db>/reserved} is (re)written to 8 MiB when the client asks to reserve
     * space (so the database can be opened on a full disk), or deleted when it does not. Errors
     * are ignored, as upstream.
     */
    public void reserveSpace(boolean reserve) {
        Path reserved = config.dbDir().resolve("reserved");
        try {
            if (!reserve) {
                Files.deleteIfExists(reserved);
            } else if (!Files.exists(reserved) || Files.size(reserved) != RESERVED_SIZE) {
                byte[] chunk = new byte[1 << 20];
                java.util.Arrays.fill(chunk, (byte) 'X');
                try (var out = Files.newOutputStream(reserved)) {
                    for (long n = 0; n < RESERVED_SIZE; n += chunk.length) out.write(chunk);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "reserving space: " + e.getMessage());
        }
    }

    // ---- roots -------------------------------------------------------------------------------

    /** The temp roots of a new session; close it at session end. */
    public SessionRoots openSessionRoots() {
        return new TempRoots(config.stateDir(), locker, "session");
    }

    /** {@code wopAddIndirectRoot}: {@code path} must already be absolute. */
    public void addIndirectRoot(String path) {
        IndirectRoots.add(config.stateDir(), path);
    }

    /** {@code wopFindRoots}: link to store path, sorted by link. */
    public SortedMap<String, String> findRoots() {
        return findRoots(msg -> LOG.log(Level.INFO, msg));
    }

    public SortedMap<String, String> findRoots(Consumer<String> info) {
        return new RootFinder(config.storeDir(), config.stateDir(), reader::isValid, info).findRoots();
    }

    /** {@code wopSyncWithGC}: take and release the GC lock (shared). */
    public void syncWithGC() {
        syncWithGC(msg -> LOG.log(Level.INFO, msg));
    }

    /** As {@link #syncWithGC()}; {@code info} gets upstream's message first if a collector holds the lock. */
    public void syncWithGC(Consumer<String> info) {
        GcLock.syncWithGC(config.stateDir(), locker, () -> info.accept(GcLock.WAIT_MESSAGE));
    }

    private void assertStorePath(String path) {
        try {
            config.storeDir().assertStorePath(path);
        } catch (BadStorePathException e) {
            throw new StoreException(e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            storeRoots.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "closing the store's temporary roots: " + e.getMessage());
        }
        agent.close();
        db.close();
        bigLock.close();
        if (ownedLocker != null) {
            try {
                ownedLocker.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "closing the locker: " + e.getMessage());
            }
        }
    }
}
