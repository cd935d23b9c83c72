package loomd.daemon.store.gc;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.db.Db;
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
    /**
     * Work per invalidation transaction: the writer is shared with every session's registrations,
     * so a collection may delay one of them by about this much, never by a whole chunk.
     */
    static final long TRANSACTION_NANOS = 3_000_000;

    /**
     * One path to delete: {@code id} is its graph id and {@code row} its database row at the
     * snapshot, or both -1 for an entry invalid at the snapshot.
     */
    record Unit(String path, int id, long row, long narSize) {
        static Unit invalid(String path) {
            return new Unit(path, -1, -1, 0);
        }
    }

    /** A chunk whose files are being unlinked by the pool while its stripes stay held. */
    private record Pending(RootGate.Held held, List<Future<Long>> unlinks) {}

    /** What one write transaction of a chunk did with its first {@code done} candidates. */
    private record Checked(List<Unit> survivors, List<String> invalidated, Set<String> kept, int done) {}

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
        List<Future<Long>> parts = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(trash)) {
            for (Path p : ds) parts.add(pool.submit(() -> FileRemoval.deleteInPlace(p, linkThreshold)));
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        } catch (java.io.IOException e) {
            // the walk below reports what cannot be removed
        }
        for (Future<Long> f : parts) freed += join(f);
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
        Pending previous = null;
        try {
            for (int i = 0; i < units.size() && !stopped; i += chunk) {
                Pending current = chunk(units.subList(i, Math.min(units.size(), i + chunk)), kept);
                // The unlinks of one chunk overlap the transaction of the next.
                Pending done = previous;
                previous = current;
                finish(done);
            }
        } finally {
            finish(previous);
        }
        return kept;
    }

    /** Waits for a chunk's unlinks, then lets sessions root its paths again. */
    private void finish(Pending p) {
        if (p == null) return;
        try {
            for (Future<Long> f : p.unlinks()) freed += join(f);
        } finally {
            p.held().release();
        }
    }

    private Pending chunk(List<Unit> units, Set<String> kept) {
        BitSet stripes = new BitSet(RootGate.STRIPES);
        for (Unit u : units) {
            stripes.set(RootGate.stripe(u.path()));
            String base = lockedItem(u.path());
            if (base != null) stripes.set(RootGate.stripe(base));
        }
        RootGate.Held held = gate.acquire(stripes);
        try {
            temps.refresh();
            Set<String> roots = temps.roots();
            List<Unit> candidates = new ArrayList<>();
            for (Unit u : units) {
                String base = lockedItem(u.path());
                boolean busy = !held.has(RootGate.stripe(u.path())) || (base != null && !held.has(RootGate.stripe(base)));
                if (busy || roots.contains(u.path()) || (u.id() < 0 && base != null && roots.contains(base))) {
                    kept.add(u.path());
                } else {
                    candidates.add(u);
                }
            }
            return new Pending(held, invalidateAndRemove(candidates, kept));
        } catch (RuntimeException | Error e) {
            held.release();
            throw e;
        }
    }

    /**
     * The chunk's candidates in as many short write transactions as it takes (each at least one
     * path, at most {@link #TRANSACTION_NANOS} of work): another session's write waits for one of
     * them at most, not for the chunk. Safe as one transaction would be: the chunk's stripes stay
     * held throughout, and each path's re-check is its own statement anyway.
     */
    private List<Future<Long>> invalidateAndRemove(List<Unit> candidates, Set<String> kept) {
        List<Future<Long>> unlinks = new ArrayList<>();
        for (int from = 0; from < candidates.size() && !stopped; ) {
            int start = from;
            Checked checked = db.write(d -> recheck(d, candidates, start));
            forget.accept(checked.invalidated());
            kept.addAll(checked.kept());
            unlinks.addAll(removeFiles(checked.survivors()));
            from += checked.done();
        }
        return unlinks;
    }

    /**
     * In the writer's transaction, from {@code candidates[start]} until the time budget is spent: a
     * path valid at the snapshot is invalidated unless something refers to it now (newly
     * referenced: kept) or it is registered anew; an entry invalid at the snapshot is kept if it is
     * valid now.
     */
    private static Checked recheck(Db d, List<Unit> candidates, int start) throws java.sql.SQLException {
        long deadline = System.nanoTime() + TRANSACTION_NANOS;
        List<Unit> survivors = new ArrayList<>();
        List<String> invalidated = new ArrayList<>();
        Set<String> newlyLive = new HashSet<>();
        int i = start;
        do {
            Unit u = candidates.get(i++);
            boolean live = switch (u.id() < 0 ? StoreQueries.RowOutcome.GONE : StoreQueries.invalidateUnreferenced(d, u.row())) {
                case INVALIDATED -> {
                    invalidated.add(u.path());
                    yield false;
                }
                case REFERENCED -> true;
                case GONE -> StoreQueries.isValid(d, u.path());
            };
            if (live) newlyLive.add(u.path());
            else survivors.add(u);
        } while (i < candidates.size() && System.nanoTime() < deadline);
        return new Checked(survivors, invalidated, newlyLive, i - start);
    }

    /** {@code X} for an entry {@code X.lock} or {@code X.chroot} (an item being built or added), else null. */
    static String lockedItem(String path) {
        if (path.endsWith(".lock")) return path.substring(0, path.length() - 5);
        if (path.endsWith(".chroot")) return path.substring(0, path.length() - 7);
        return null;
    }

    /**
     * Moves each directory into the trash and unlinks each other entry: in the pool (returned
     * futures) without a byte limit, here with one. One {@code lstat} per entry on this thread.
     */
    private List<Future<Long>> removeFiles(List<Unit> units) {
        List<Future<Long>> inPlace = new ArrayList<>();
        for (Unit u : units) {
            Path physical = config.physical(u.path());
            Map<String, Object> st = FileRemoval.lstat(physical);
            if (st == null) continue;
            info.accept(progress() + " deleting '" + u.path() + "'");
            deleted.add(u.path());
            boolean directory = FileRemoval.isDirectory(st);
            if (useTrash && directory && FileRemoval.moveToTrash(physical, trash, info) == FileRemoval.Move.MOVED) {
                invalidatedBytes += u.narSize();
            } else if (request.unlimited()) {
                inPlace.add(pool.submit(() -> directory ? FileRemoval.deleteInPlace(physical, linkThreshold)
                        : FileRemoval.unlink(physical, st, linkThreshold)));
            } else {
                freed += FileRemoval.deleteInPlace(physical, linkThreshold);
            }
            if (!request.unlimited() && Long.compareUnsigned(freed + invalidatedBytes, request.maxFreed()) > 0) {
                info.accept("deleted or invalidated more than " + Long.toUnsignedString(request.maxFreed())
                        + " bytes; stopping");
                stopped = true;
                break;
            }
        }
        return inPlace;
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
