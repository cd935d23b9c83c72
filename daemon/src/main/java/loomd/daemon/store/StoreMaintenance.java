package loomd.daemon.store;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.maintain.Deduplicator;
import loomd.daemon.store.maintain.StoreVerifier;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcProbe;
import loomd.protocol.nar.FileHashes;

/**
 * Deduplication, {@code wopOptimiseStore} and {@code wopVerifyStore} ({@code store.maintenance()},
 * daemon.md §8.1, §8.2). Thread-safe. The two operations run on a platform thread of their own
 * while the caller waits (file hashing and the database, as the collector does); their messages
 * reach {@code out} from that thread, in order.
 */
public final class StoreMaintenance {
    private static final System.Logger LOG = System.getLogger(StoreMaintenance.class.getName());

    private final StoreConfig config;
    private final StoreDatabase db;
    private final StoreReader reader;
    private final FileLocker locker;
    private final GcProbe probe;
    private final Deduplicator dedup;
    private volatile boolean autoDeduplicate = true;
    private final ExecutorService worker = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("loomd-maintenance-", 0).daemon(true).factory());

    StoreMaintenance(StoreConfig config, StoreDatabase db, StoreReader reader, FileLocker locker, GcProbe probe) {
        this.config = config;
        this.db = db;
        this.reader = reader;
        this.locker = locker;
        this.probe = probe;
        this.dedup = new Deduplicator(config.physicalStore());
    }

    /** {@code auto-optimise-store}: off with {@code --disable-deduplication}; on by default, as upstream. */
    public void setAutoDeduplicate(boolean on) {
        autoDeduplicate = on;
    }

    public boolean autoDeduplicate() {
        return autoDeduplicate;
    }

    /**
     * Deduplicates a new item's tree (physical, canonical, not yet registered) when automatic
     * deduplication is on; its messages go to the daemon's log. Upstream's {@code optimisePath}.
     */
    void deduplicateNew(Path physical) {
        deduplicateNew(physical, null);
    }

    /**
     * As {@link #deduplicateNew(Path)}, with the keys of the tree's large files computed while it was
     * restored or scanned ({@code known}, null for none): those files are not read again.
     */
    void deduplicateNew(Path physical, FileHashes known) {
        // Nothing there: registration itself reports what is wrong with such a path.
        if (!autoDeduplicate || !java.nio.file.Files.exists(physical, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Deduplicator.Messages log = (level, text) -> LOG.log(level == 0 ? Level.WARNING : Level.INFO, text);
        if (known == null) {
            dedup.optimise(physical, new Deduplicator.Stats(), new HashSet<>(), log);
        } else {
            dedup.optimise(physical, known, new Deduplicator.Stats(), new HashSet<>(), log);
        }
    }

    /** A fresh collector of {@code .links} keys when automatic deduplication will use them, else null. */
    public FileHashes newFileHashes() {
        return autoDeduplicate ? new FileHashes(Deduplicator.MIN_SIZE) : null;
    }

    /** How many files deduplication has had to read again to key them ({@link Deduplicator#filesHashed}). */
    public long filesHashedForLinks() {
        return dedup.filesHashed();
    }

    /** What an optimisation did. */
    public record Optimised(long filesLinked, long bytesFreed) {}

    /**
     * {@code wopOptimiseStore}: every valid path, temp-rooted through {@code roots} first and
     * skipped if it became invalid, is deduplicated against the inodes already in {@code .links};
     * then upstream's summary at error level.
     */
    public Optimised optimiseStore(SessionRoots roots, Deduplicator.Messages out) {
        return onWorker(() -> {
            Set<Long> inodes = dedup.loadInodes();
            Deduplicator.Stats stats = new Deduplicator.Stats();
            for (String path : reader.allValidPaths()) {
                roots.addTempRoot(path);
                if (!reader.isValidInDb(path)) continue; // collected meanwhile
                out.message(3, "hashing files in `" + path + "'");
                dedup.optimise(config.physical(path), stats, inodes, out);
            }
            out.message(0, String.format(Locale.ROOT, "%.2f MiB freed by hard-linking %d files",
                    stats.bytesFreed() / (1024.0 * 1024.0), stats.filesLinked()));
            return new Optimised(stats.filesLinked(), stats.bytesFreed());
        });
    }

    /** Repairs one path (substitution, else a repair build of its deriver); throws with upstream's text. */
    public interface Repairer {
        void repair(String path);
    }

    /**
     * {@code wopVerifyStore}: true if errors remain. {@code repairer} is null when the client did
     * not ask for repair.
     */
    public boolean verifyStore(boolean checkContents, Repairer repairer, Deduplicator.Messages out) {
        StoreVerifier verifier = new StoreVerifier(config, db, locker, probe, reader::forget, repairer, out);
        return onWorker(() -> verifier.verify(checkContents));
    }

    private <T> T onWorker(Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, worker).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new StoreException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    void close() {
        worker.shutdownNow();
    }
}
