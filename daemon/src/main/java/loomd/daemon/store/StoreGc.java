package loomd.daemon.store;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.daemon.store.gc.FileTempRoots;
import loomd.daemon.store.gc.GarbageCollector;
import loomd.daemon.store.gc.GcRequest;
import loomd.daemon.store.gc.GcResult;
import loomd.daemon.store.gc.RootGate;
import loomd.daemon.store.gc.TempRootSource;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcProbe;

/**
 * The garbage collector ({@code store.gc()}; the collector itself is the {@code gc} package),
 * invalidation and reserved space. Thread-safe.
 */
public final class StoreGc {
    private static final System.Logger LOG = System.getLogger(StoreGc.class.getName());

    /** Upstream's {@code gc-reserved-space} default. */
    static final long RESERVED_SIZE = 8L << 20;

    private final StoreConfig config;
    private final StoreDatabase db;
    private final StoreReader reader;
    private final FileLocker locker;
    private final RootGate gate;
    private final GcProbe probe;
    private final ExecutorService collectorThread = Executors.newCachedThreadPool(
            GarbageCollector.backgroundThreads("loomd-gc-"));

    StoreGc(StoreConfig config, StoreDatabase db, StoreReader reader, FileLocker locker, RootGate gate, GcProbe probe) {
        this.probe = probe;
        this.config = config;
        this.db = db;
        this.reader = reader;
        this.locker = locker;
        this.gate = gate;
    }

    /**
     * {@code wopCollectGarbage} (the gc package): runs on a platform thread while the caller waits;
     * {@code info} gets the progress lines from that thread, in order, while the caller waits.
     */
    public GcResult collectGarbage(GcRequest request, Consumer<String> info) {
        return collectGarbage(request, info, UnaryOperator.identity());
    }

    /** As {@link #collectGarbage(GcRequest, Consumer)}, with the temp roots seen through {@code temps} (tests). */
    GcResult collectGarbage(GcRequest request, Consumer<String> info, UnaryOperator<TempRootSource> temps) {
        GarbageCollector collector = new GarbageCollector(config, db, locker, reader::forgetAll, gate,
                temps.apply(new FileTempRoots(config.storeDir(), config.stateDir(), locker)), probe);
        try {
            return CompletableFuture.supplyAsync(() -> collector.collect(request, info), collectorThread).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new StoreException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    /**
     * Forgets a valid path that nothing else refers to (upstream's {@code invalidatePathChecked});
     * its files are the caller's business. The path must be a strict store path.
     */
    public void invalidatePathChecked(String path) {
        StrictPaths.check(config.storeDir(), path);
        try {
            db.write(d -> StoreQueries.invalidateChecked(d, path));
        } finally {
            reader.forget(path);
        }
    }

    /**
     * Session start: {@code <db>/reserved} is (re)written to 8 MiB when the client asks to reserve
     * space (so that a collector can free it on a full disk), or deleted when it does not. Errors
     * are ignored, as upstream.
     */
    public void reserveSpace(boolean reserve) {
        Path reserved = config.dbDir().resolve("reserved");
        try {
            if (!reserve) {
                Files.deleteIfExists(reserved);
            } else if (!Files.exists(reserved) || Files.size(reserved) != RESERVED_SIZE) {
                byte[] chunk = new byte[1 << 20];
                Arrays.fill(chunk, (byte) 'X');
                try (var out = Files.newOutputStream(reserved)) {
                    for (long n = 0; n < RESERVED_SIZE; n += chunk.length) out.write(chunk);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "reserving space: " + e.getMessage());
        }
    }
}
