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
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.function.Consumer;

import loomd.daemon.store.auth.AuthenticateAgent;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.durable.CheckpointFile;
import loomd.daemon.store.durable.Flusher;
import loomd.daemon.store.durable.StartupCheck;
import loomd.daemon.store.fs.Canonicaliser;
import loomd.daemon.store.fs.PosixIds;
import loomd.daemon.store.fs.TempNames;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcLock;
import loomd.daemon.store.roots.GcProbe;
import loomd.daemon.store.roots.LockerFileLocker;
import loomd.daemon.store.roots.StagingRoots;
import loomd.locker.LockerClient;
import loomd.protocol.hash.HashAlgorithm;

/**
 * The local store: database, contents, roots. One instance per daemon, shared by every session;
 * it opens and closes the store and hands out one object per capability, each safe to call from
 * many virtual threads at once (see package-info for who owns which thread and lock, and the lock
 * table): {@link #queries()}, {@link #adds()}, {@link #archives()}, {@link #roots()},
 * {@link #gc()}. Errors are {@link StoreException}s carrying upstream's texts.
 *
 * <p>The per-operation methods below the capabilities only delegate to them: they remain for the
 * session package's {@code LocalStoreBackend} until it calls the capabilities directly.
 */
public final class LocalStore implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LocalStore.class.getName());

    private final StoreConfig config;
    private final FileLocker.Owner bigLock;
    private final StoreDatabase db;
    private final GcProbe gcProbe;
    private final StagingRoots storeRoots;
    private final Flusher flusher;
    private final AuthenticateAgent agent;
    private final AutoCloseable ownedLocker;
    private final PathQueries queries;
    private final PathAdds adds;
    private final Archives archives;
    private final StoreRoots roots;
    private final StoreGc gc;

    /** Temporary names per store-owned temp-roots file before it is rotated. */
    static final int STAGING_ROOTS_PER_FILE = 10_000;

    private LocalStore(StoreConfig config, FileLocker locker, NarCodec nar, StoreObserver observer,
                       AutoCloseable ownedLocker) {
        this.config = config;
        this.ownedLocker = ownedLocker;
        createDirectories(config);
        this.bigLock = locker.newOwner("big-lock");
        StoreDatabase database = null;
        try {
            takeBigLock(config, bigLock);
            database = StoreDatabase.open(config.databaseSettings());
        } catch (RuntimeException e) {
            bigLock.close();
            throw e;
        }
        this.db = database;
        StoreReader reader = new StoreReader(config.storeDir(), db, config.pathInfoCacheSize());
        this.gcProbe = new GcProbe(config.stateDir());
        this.storeRoots = new StagingRoots(config.stateDir(), locker, gcProbe, STAGING_ROOTS_PER_FILE);
        this.agent = new AuthenticateAgent(config.authenticateCommand());
        try {
            // Only one LocalStore per process and store: entries named by this pid are leftovers too.
            TempNames.cleanStale(config.physicalStore());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cleaning stale temporary store entries: " + e.getMessage());
        }
        this.flusher = startDurability(config, db, observer);
        Registrar registrar = new Registrar(config, db, reader);
        PathAdder adder = new PathAdder(config, reader, registrar, locker, nar, new TempNames(), storeRoots,
                new Canonicaliser(PosixIds.self()), flusher, observer);
        this.queries = new PathQueries(config.storeDir(), reader, db);
        this.adds = new PathAdds(config.storeDir(), adder, registrar);
        this.archives = new Archives(new Exporter(config, reader, nar, agent),
                new Importer(config, reader, adder, nar, agent));
        this.roots = new StoreRoots(config, locker, gcProbe, reader);
        this.gc = new StoreGc(config, db, reader);
    }

    /**
     * Before anything is served: the start-up check (verifying and repairing what a power cut may
     * have taken since the last durable checkpoint), then the flusher. On failure the store is closed.
     */
    private Flusher startDurability(StoreConfig config, StoreDatabase database, StoreObserver observer) {
        try {
            CheckpointFile file = new CheckpointFile(config.dbDir());
            long checkpoint = StartupCheck.run(file, database, config::physical);
            return Flusher.start(database, file, List.of(config.physicalStore(), config.dbDir()), config.durability(),
                    checkpoint, observer);
        } catch (RuntimeException e) {
            storeRoots.close();
            gcProbe.close();
            agent.close();
            database.close();
            bigLock.close();
            throw e;
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

    /** Validity, path infos, references, derivers, outputs, hash parts, failed paths. */
    public PathQueries queries() {
        return queries;
    }

    /** Adding paths, and registering many at once (builds, substitutes). */
    public PathAdds adds() {
        return adds;
    }

    /** Export and import. */
    public Archives archives() {
        return archives;
    }

    /** Temp roots, indirect roots, finding roots, syncing with a collector. */
    public StoreRoots roots() {
        return roots;
    }

    /** What the garbage collector needs (invalidation, reserved space). */
    public StoreGc gc() {
        return gc;
    }

    // ---- delegates, for LocalStoreBackend until sessions use the capabilities -----------------

    public boolean isValidPath(String path) {
        return queries.isValidPath(path);
    }

    public SortedSet<String> queryValidPaths(Collection<String> paths) {
        return queries.queryValidPaths(paths);
    }

    public Optional<PathInfo> queryPathInfo(String path) {
        return queries.queryPathInfo(path);
    }

    public PathInfo pathInfoOrThrow(String path) {
        return queries.pathInfoOrThrow(path);
    }

    public SortedSet<String> queryReferrers(String path) {
        return queries.queryReferrers(path);
    }

    public SortedSet<String> queryValidDerivers(String path) {
        return queries.queryValidDerivers(path);
    }

    public SortedSet<String> queryDerivationOutputs(String drvPath) {
        return queries.queryDerivationOutputs(drvPath);
    }

    public SortedSet<String> queryDerivationOutputNames(String drvPath) {
        return queries.queryDerivationOutputNames(drvPath);
    }

    public String queryPathFromHashPart(String hashPart) {
        return queries.queryPathFromHashPart(hashPart);
    }

    public SortedSet<String> queryAllValidPaths() {
        return queries.queryAllValidPaths();
    }

    public SortedSet<String> queryFailedPaths() {
        return queries.queryFailedPaths();
    }

    public void clearFailedPaths(Collection<String> paths) {
        queries.clearFailedPaths(paths);
    }

    public void invalidatePathChecked(String path) {
        gc.invalidatePathChecked(path);
    }

    public StagedNar stageNar(InputStream raw) throws IOException {
        return adds.stageNar(raw);
    }

    public StagedNar stageNar(InputStream raw, boolean recursive, String algo) throws IOException {
        return adds.stageNar(raw, recursive, algo);
    }

    public String addStaged(String name, boolean recursive, HashAlgorithm algo, StagedNar staged,
                            SessionRoots roots) {
        return adds.addStaged(name, recursive, algo, staged, roots);
    }

    public String addTextToStore(String name, byte[] text, SortedSet<String> refs, SessionRoots roots) {
        return adds.addTextToStore(name, text, refs, roots);
    }

    public void exportPath(String path, boolean sign, OutputStream out) {
        archives.exportPath(path, sign, out);
    }

    /** {@code trusted} changes nothing: a signature is always required, as upstream. */
    public List<String> importPaths(InputStream source, boolean trusted, SessionRoots roots) {
        return archives.importPaths(source, roots);
    }

    public void reserveSpace(boolean reserve) {
        gc.reserveSpace(reserve);
    }

    public SessionRoots openSessionRoots() {
        return roots.openSessionRoots();
    }

    public void addIndirectRoot(String path) {
        roots.addIndirectRoot(path);
    }

    public SortedMap<String, String> findRoots() {
        return roots.findRoots();
    }

    public SortedMap<String, String> findRoots(Consumer<String> info) {
        return roots.findRoots(info);
    }

    public void syncWithGC() {
        roots.syncWithGC();
    }

    public void syncWithGC(Consumer<String> info) {
        roots.syncWithGC(info);
    }

    @Override
    public void close() {
        try {
            storeRoots.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "closing the store's temporary roots: " + e.getMessage());
        }
        gcProbe.close();
        agent.close();
        // The last write first, then the final flush: the checkpoint marked clean covers every row.
        db.stopWrites();
        flusher.close();
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
