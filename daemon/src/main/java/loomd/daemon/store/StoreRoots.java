package loomd.daemon.store;

import java.lang.System.Logger.Level;
import java.util.SortedMap;
import java.util.function.Consumer;

import loomd.daemon.store.gc.RootGate;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcLock;
import loomd.daemon.store.roots.GcProbe;
import loomd.daemon.store.roots.IndirectRoots;
import loomd.daemon.store.roots.RootFinder;
import loomd.daemon.store.roots.TempRoots;

/**
 * GC roots ({@code store.roots()}): the temp roots of sessions, indirect roots, finding roots,
 * and waiting for a collector. Thread-safe; the locks each takes are in the package documentation's
 * lock table.
 */
public final class StoreRoots {
    private static final System.Logger LOG = System.getLogger(StoreRoots.class.getName());

    private final StoreConfig config;
    private final FileLocker locker;
    private final GcProbe probe;
    private final StoreReader reader;
    private final RootGate gate;

    StoreRoots(StoreConfig config, FileLocker locker, GcProbe probe, StoreReader reader, RootGate gate) {
        this.config = config;
        this.locker = locker;
        this.probe = probe;
        this.reader = reader;
        this.gate = gate;
    }

    /**
     * The temp roots of a new session; close it at session end. Each root must be a strict store
     * path ({@code <store>/<hash>-<name>}): anything else is refused before it reaches the file.
     */
    public SessionRoots openSessionRoots() {
        return new StrictRoots(new TempRoots(config.stateDir(), locker, probe, "session"));
    }

    private final class StrictRoots implements SessionRoots {
        private final SessionRoots roots;

        StrictRoots(SessionRoots roots) {
            this.roots = roots;
        }

        @Override
        public void addTempRoot(String path) {
            String checked = StrictPaths.check(config.storeDir(), path);
            // Through the collector's gate: the root is seen by a running collection, or written
            // after the path is gone (the gc package's protocol).
            gate.rooting(checked, () -> roots.addTempRoot(checked));
        }

        @Override
        public void close() {
            roots.close();
        }
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
}
