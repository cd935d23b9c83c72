package loomd.daemon.store;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import loomd.daemon.store.auth.AuthenticateAgent;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.durable.CheckpointFile;
import loomd.daemon.store.durable.Flusher;
import loomd.daemon.store.durable.StartupCheck;
import loomd.daemon.store.durable.UnregisteredEntries;
import loomd.daemon.store.fs.Canonicaliser;
import loomd.daemon.store.fs.TempNames;
import loomd.daemon.store.gc.RootGate;
import loomd.daemon.store.gc.StaleTrash;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcLock;
import loomd.daemon.store.roots.GcProbe;
import loomd.daemon.store.roots.LockerFileLocker;
import loomd.daemon.store.roots.PendingFileLocker;
import loomd.daemon.store.roots.StagingRoots;
import loomd.locker.LockerClient;

/**
 * The local store: database, contents, roots. One instance per daemon, shared by every session;
 * it opens and closes the store and hands out one object per capability, each safe to call from
 * many virtual threads at once (see package-info for who owns which thread and lock, and the lock
 * table): {@link #queries()}, {@link #adds()}, {@link #archives()}, {@link #roots()},
 * {@link #gc()}. Errors are {@link StoreException}s carrying upstream's texts.
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
    private final StoreMaintenance maintenance;

    /** Temporary names per store-owned temp-roots file before it is rotated. */
    static final int STAGING_ROOTS_PER_FILE = 10_000;

    private LocalStore(StoreConfig config, FileLocker locker, NarCodec nar, StoreObserver observer,
                       AutoCloseable ownedLocker) {
        this(config, locker, nar, observer, ownedLocker, false);
    }

    /** {@code lockerStarting}: the locker is not up yet, so the big lock is taken once it is. */
    private LocalStore(StoreConfig config, FileLocker locker, NarCodec nar, StoreObserver observer,
                       AutoCloseable ownedLocker, boolean lockerStarting) {
        this.config = config;
        this.ownedLocker = ownedLocker;
        createDirectories(config);
        this.bigLock = locker.newOwner("big-lock");
        StoreDatabase database = null;
        try {
            if (lockerStarting) {
                takeBigLockLater(config, bigLock);
            } else {
                takeBigLock(config, bigLock);
            }
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
        this.flusher = startDurability(config, db, observer, locker);
        StaleTrash.remove(config, locker);
        Registrar registrar = new Registrar(config, db, reader);
        this.maintenance = new StoreMaintenance(config, db, reader, locker, gcProbe);
        PathAdder adder = new PathAdder(config, reader, registrar, locker, nar, new TempNames(), storeRoots,
                Canonicaliser.ownedBySelf(), flusher, observer, maintenance);
        this.queries = new PathQueries(config.storeDir(), reader, db);
        this.adds = new PathAdds(config.storeDir(), adder, registrar, maintenance, config);
        this.archives = new Archives(new Exporter(config, reader, nar, agent),
                new Importer(config, reader, adder, nar, agent));
        RootGate gate = new RootGate();
        this.roots = new StoreRoots(config, locker, gcProbe, reader, gate);
        this.gc = new StoreGc(config, db, reader, locker, gate, gcProbe);
    }

    /**
     * Before anything is served: the start-up check (verifying and repairing what a power cut may
     * have taken since the last durable checkpoint), then the flusher. On failure the store is closed.
     */
    private Flusher startDurability(StoreConfig config, StoreDatabase database, StoreObserver observer,
            FileLocker locker) {
        try {
            CheckpointFile file = new CheckpointFile(config.dbDir());
            boolean unclean = file.read() instanceof CheckpointFile.Present p
                    && p.checkpoint().state() == CheckpointFile.State.RUNNING;
            long checkpoint = StartupCheck.run(file, database, config::physical);
            if (unclean) UnregisteredEntries.remove(config.physicalStore(), config.storeDir().toString(), database, locker);
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

    /**
     * With the locker still starting, the shared big lock is taken once it is up, off the start's
     * path: nothing takes it exclusively while loomd runs, so the store is not opened any earlier
     * than an exclusive holder (upstream's schema upgrade) would let it be in practice.
     */
    private static void takeBigLockLater(StoreConfig config, FileLocker.Owner owner) {
        Thread.ofVirtual().name("big-lock").start(() -> {
            try {
                takeBigLock(config, owner);
            } catch (IllegalStateException e) {
                // the store was closed before the locker came up
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "taking the big store lock: " + e.getMessage());
            }
        });
    }

    static LocalStore open(StoreConfig config, FileLocker locker, NarCodec nar, StoreObserver observer) {
        return new LocalStore(config, locker, nar, observer, null);
    }

    /**
     * Opens the store with its file locks held by the locker process ({@link LockerClient}); the caller owns (and closes, after the store) the client.
     */
    public static LocalStore open(StoreConfig config, LockerClient lockerClient) {
        return open(config, lockerClient, StoreObserver.NONE);
    }

    /** As {@link #open(StoreConfig, LockerClient)}, reporting the steps of every add to {@code observer}. */
    public static LocalStore open(StoreConfig config, LockerClient lockerClient, StoreObserver observer) {
        return new LocalStore(config, new LockerFileLocker(lockerClient), new NarCodec(), observer, null);
    }

    /** As {@link #open(StoreConfig, LockerClient)}, but the store owns the client and closes it after itself. */
    public static LocalStore openOwning(StoreConfig config, LockerClient lockerClient) {
        return new LocalStore(config, new LockerFileLocker(lockerClient), new NarCodec(), StoreObserver.NONE,
                lockerClient);
    }

    /**
     * As {@link #openOwning(StoreConfig, LockerClient)} with the locker still starting: the store is
     * served at once, and what needs a lock waits for {@code starting} ({@link PendingFileLocker}).
     * The client is closed after the store, or when it comes up if the store was closed before.
     */
    public static LocalStore openOwning(StoreConfig config, CompletableFuture<LockerClient> starting) {
        AutoCloseable owned = () -> starting.thenAccept(LockerClient::close);
        return new LocalStore(config, new PendingFileLocker(starting.thenApply(LockerFileLocker::new)),
                new NarCodec(), StoreObserver.NONE, owned, true);
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

    /** The garbage collector, invalidation, reserved space. */
    public StoreGc gc() {
        return gc;
    }

    /** Deduplication, optimising and verifying the store. */
    public StoreMaintenance maintenance() {
        return maintenance;
    }

    @Override
    public void close() {
        maintenance.close();
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
