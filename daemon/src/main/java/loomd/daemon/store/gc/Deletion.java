package loomd.daemon.store.gc;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.protocol.wire.Utf8Order;

/**
 * The deletion phase of one collection (package documentation, step 7): chunks of candidates,
 * each re-checked against new temp roots (under the chunk's {@link RootGate} stripes) and against
 * the database (in one write transaction), then invalidated, moved into the trash or removed, with
 * upstream's progress lines and byte accounting (daemon.md §7.5). Used by the collector's thread.
 */
final class Deletion {
    /** One path to delete: {@code id} is its graph id, or -1 for an entry invalid at the snapshot. */
    record Unit(String path, int id, long narSize) {}

    private record Checked(List<Unit> survivors, List<String> invalidated, Set<String> kept) {}

    private final StoreConfig config;
    private final StoreDatabase db;
    private final RootGate gate;
    private final TempRootSource.Snapshot temps;
    private final Consumer<Collection<String>> forget;
    private final Consumer<String> info;
    private final ExecutorService pool;
    private final GcRequest request;
    private final int linkThreshold;
    private final SortedSet<String> deleted = new TreeSet<>(Utf8Order.COMPARATOR);
    private final Path trash;
    private boolean useTrash;
    private long freed;
    private long invalidatedBytes;
    private boolean stopped;

    Deletion(StoreConfig config, StoreDatabase db, RootGate gate, TempRootSource.Snapshot temps,
             Consumer<Collection<String>> forget, Consumer<String> info, ExecutorService pool, GcRequest request) {
        this.config = config;
        this.db = db;
        this.gate = gate;
        this.temps = temps;
        this.forget = forget;
        this.info = info;
        this.pool = pool;
        this.request = request;
        this.linkThreshold = request.autoDedup() ? 2 : 1;
        this.trash = config.physicalStore().resolve("trash");
    }

    /** Upstream's setup: an old trash is deleted (counted as freed), a new one made; no space: no trash. */
    void prepareTrash() {
        if (Files.exists(trash, LinkOption.NOFOLLOW_LINKS)) freed += FileRemoval.deleteInPlace(trash, linkThreshold);
        try {
            Files.createDirectory(trash);
            useTrash = true;
        } catch (java.io.IOException e) {
            useTrash = !String.valueOf(e.getMessage()).contains("No space left");
        }
    }

    /** Deletes the trash after the locks are gone; its bytes are freed too. */
    void emptyTrash() {
        info.accept("deleting `" + config.storeDir().path() + "/trash'");
        freed += FileRemoval.deleteInPlace(trash, linkThreshold);
    }

    void addFreed(long bytes) {
        freed += bytes;
    }

    boolean stopped() {
        return stopped;
    }

    SortedSet<String> deleted() {
        return deleted;
    }

    long freed() {
        return freed;
    }

    /**
     * Deletes {@code units} in order (referrers before their references), in chunks; with a byte
     * limit one path at a time, so the limit stops exactly where upstream's does. Returns the paths
     * kept because they turned out live (rooted or referenced since the snapshot).
     */
    Set<String> run(List<Unit> units) {
        Set<String> kept = new HashSet<>();
        int chunk = request.unlimited() ? GarbageCollector.CHUNK : 1;
        for (int i = 0; i < units.size() && !stopped; i += chunk) {
            kept.addAll(chunk(units.subList(i, Math.min(units.size(), i + chunk))));
        }
        return kept;
    }

    private Set<String> chunk(List<Unit> units) {
        boolean[] stripes = new boolean[RootGate.STRIPES];
        for (Unit u : units) {
            stripes[RootGate.stripe(u.path())] = true;
            String base = lockedItem(u.path());
            if (base != null) stripes[RootGate.stripe(base)] = true;
        }
        return gate.holding(stripes, held -> {
            temps.refresh();
            Set<String> roots = temps.roots();
            List<Unit> candidates = new ArrayList<>();
            Set<String> kept = new HashSet<>();
            for (Unit u : units) {
                String base = lockedItem(u.path());
                boolean busy = !held[RootGate.stripe(u.path())] || (base != null && !held[RootGate.stripe(base)]);
                if (busy || roots.contains(u.path()) || (u.id() < 0 && base != null && roots.contains(base))) {
                    kept.add(u.path());
                } else {
                    candidates.add(u);
                }
            }
            Checked checked = db.write(d -> {
                List<Unit> survivors = new ArrayList<>();
                List<String> invalidated = new ArrayList<>();
                Set<String> newlyLive = new HashSet<>();
                for (Unit u : candidates) {
                    boolean valid = StoreQueries.isValid(d, u.path());
                    if (valid && u.id() < 0) {
                        newlyLive.add(u.path());
                        continue;
                    }
                    if (valid) {
                        SortedSet<String> referrers = StoreQueries.referrers(d, u.path());
                        referrers.remove(u.path());
                        if (!referrers.isEmpty()) {
                            newlyLive.add(u.path());
                            continue;
                        }
                        StoreQueries.invalidate(d, u.path());
                        invalidated.add(u.path());
                    }
                    survivors.add(u);
                }
                return new Checked(survivors, invalidated, newlyLive);
            });
            forget.accept(checked.invalidated());
            kept.addAll(checked.kept());
            removeFiles(checked.survivors());
            return kept;
        });
    }

    /** {@code X} for an entry {@code X.lock} or {@code X.chroot} (an item being built or added), else null. */
    static String lockedItem(String path) {
        if (path.endsWith(".lock")) return path.substring(0, path.length() - 5);
        if (path.endsWith(".chroot")) return path.substring(0, path.length() - 7);
        return null;
    }

    private void removeFiles(List<Unit> units) {
        List<Future<Long>> inPlace = new ArrayList<>();
        for (Unit u : units) {
            Path physical = config.physical(u.path());
            if (!Files.exists(physical, LinkOption.NOFOLLOW_LINKS)) continue;
            info.accept(progress() + " deleting '" + u.path() + "'");
            deleted.add(u.path());
            if (useTrash && Files.isDirectory(physical, LinkOption.NOFOLLOW_LINKS)
                    && FileRemoval.moveToTrash(physical, trash, info) == FileRemoval.Move.MOVED) {
                invalidatedBytes += u.narSize();
            } else if (request.unlimited()) {
                inPlace.add(pool.submit(() -> FileRemoval.deleteInPlace(physical, linkThreshold)));
            } else {
                freed += FileRemoval.deleteInPlace(physical, linkThreshold);
            }
            if (!request.unlimited() && Long.compareUnsigned(freed + invalidatedBytes, request.maxFreed()) > 0) {
                info.accept("deleted or invalidated more than " + Long.toUnsignedString(request.maxFreed())
                        + " bytes; stopping");
                stopped = true;
                return;
            }
        }
        for (Future<Long> f : inPlace) freed += join(f);
    }

    /** {@code [N%]} of the limit, or {@code [N MiB]} without one (daemon.md §7.5, §9.35). */
    private String progress() {
        long done = freed + invalidatedBytes;
        if (request.unlimited()) return "[" + (done / 1024 / 1024) + " MiB]";
        if (request.maxFreed() == 0) return "[100%]";
        BigInteger percent = BigInteger.valueOf(done).multiply(BigInteger.valueOf(100))
                .divide(new BigInteger(Long.toUnsignedString(request.maxFreed())));
        return "[" + percent.min(BigInteger.valueOf(100)) + "%]";
    }

    private static long join(Future<Long> f) {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new StoreException(String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted");
        }
    }
}
