package loomd.daemon.store;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import loomd.protocol.wire.Utf8Order;
import loomd.daemon.store.db.Db;
import loomd.daemon.store.db.PathRow;
import loomd.daemon.store.db.SqlWork;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.store.StoreDir;

/**
 * The read side of the store: point queries on the caller's (virtual) thread through the
 * read-connection pool, full scans on the database's platform executor, and a bounded cache of
 * path infos. Only positive answers are cached (a path can become valid at any time).
 *
 * <p>The cache never outlives what it mirrors: an entry is dropped when this daemon (re)registers or
 * invalidates the path, everything is dropped when another process is found to have committed, and
 * the cache answers only while {@link StoreDatabase#cacheMayAnswer} says the last such check is
 * recent (see the db package). A lookup that raced with a drop does not fill the cache: entries
 * are stored only if no drop happened since the lookup began ({@link #drops}). Decisions that
 * create or skip creating a path ({@code *InDb}) never consult the cache.
 */
final class StoreReader {
    private final StoreDir storeDir;
    private final StoreDatabase db;
    private final Cache<String, PathInfo> infos;
    private final Cache<String, Boolean> valid;
    /** Counts drops; a lookup caches its answer only if this did not move meanwhile. */
    private final AtomicLong drops = new AtomicLong();

    StoreReader(StoreDir storeDir, StoreDatabase db, long cacheSize) {
        this.storeDir = storeDir;
        this.db = db;
        // Maintenance runs on the caller's thread: with the default executor (the common pool) every
        // add's forget and put woke a pool thread, a futex round trip per request for a few
        // microseconds of bookkeeping.
        this.infos = Caffeine.newBuilder().maximumSize(cacheSize).executor(Runnable::run).build();
        this.valid = Caffeine.newBuilder().maximumSize(cacheSize).executor(Runnable::run).build();
        db.onForeignCommit(this::forgetEverything);
    }

    /** Drops what is cached about {@code path}: call after (re)registering or invalidating it. */
    void forget(String path) {
        forgetAll(List.of(path));
    }

    void forgetAll(Collection<String> paths) {
        drops.incrementAndGet();
        infos.invalidateAll(paths);
        valid.invalidateAll(paths);
    }

    private void forgetEverything() {
        drops.incrementAndGet();
        infos.invalidateAll();
        valid.invalidateAll();
    }

    /** The drop count, read before a registration's write so that {@link #registered} can tell whether it raced. */
    long drops() {
        return drops.get();
    }

    /**
     * After this daemon's commit registering {@code paths}: their old infos are dropped and they are
     * cached as valid, so the client's next question about them needs no read. Only if nothing else
     * was dropped since {@code dropsBefore} (read before the write): a foreign commit or an
     * invalidation in between may have removed one of them again.
     */
    void registered(Collection<String> paths, long dropsBefore) {
        forgetAll(paths);
        long ours = dropsBefore + 1;
        for (String p : paths) remember(valid, p, Boolean.TRUE, ours);
    }

    /** Stores {@code value} unless a drop happened since {@code dropsBefore}; a drop racing the put undoes it. */
    private <V> void remember(Cache<String, V> cache, String path, V value, long dropsBefore) {
        if (drops.get() != dropsBefore) return;
        cache.put(path, value);
        if (drops.get() != dropsBefore) cache.invalidate(path);
    }

    private boolean cachedValid(String path) {
        return db.cacheMayAnswer() && (valid.getIfPresent(path) != null || infos.getIfPresent(path) != null);
    }

    /**
     * Whether the cache holds {@code path} as valid, trusted or not: a hint for where to look first,
     * never an answer (a decision to create or skip reads the database, {@link #validIdInDb}).
     */
    boolean mayBeValid(String path) {
        return valid.getIfPresent(path) != null || infos.getIfPresent(path) != null;
    }

    boolean isValid(String path) {
        if (cachedValid(path)) return true;
        long before = drops.get();
        boolean answer = isValidInDb(path);
        if (answer) remember(valid, path, Boolean.TRUE, before);
        return answer;
    }

    /** The database's answer, never the cache's: for the checks that decide whether to create a path. */
    boolean isValidInDb(String path) {
        return db.read(d -> StoreQueries.isValid(d, path));
    }

    /** The row id of {@code path} if valid, else 0: the database's answer, as {@link #isValidInDb}. */
    long validIdInDb(String path) {
        return db.read(d -> StoreQueries.validIds(d, List.of(path))).getOrDefault(path, 0L);
    }

    /** The row ids of the valid ones among {@code paths} (the database's answer). */
    Map<String, Long> validIdsInDb(Collection<String> paths) {
        SqlWork<Map<String, Long>> lookups = d -> StoreQueries.validIds(d, paths);
        return paths.size() <= POINT_READ_LIMIT ? db.read(lookups) : db.scan(lookups);
    }

    /** The database's answer for several paths, with one borrowed connection. */
    SortedSet<String> validInDb(Collection<String> paths) {
        SqlWork<SortedSet<String>> lookups = d -> lookUp(d, paths);
        // A client may ask about thousands of paths at once: that is a long native call, so
        // it leaves the virtual thread like a scan; a handful stays a point read.
        return paths.size() <= POINT_READ_LIMIT ? db.read(lookups) : db.scan(lookups);
    }

    /** Most lookups one point read may do on the caller's (virtual) thread. */
    static final int POINT_READ_LIMIT = 64;

    /** The valid ones among {@code paths}: cache first, the rest with one borrowed connection. */
    SortedSet<String> validPaths(Collection<String> paths) {
        SortedSet<String> out = new TreeSet<>(Utf8Order.COMPARATOR);
        List<String> unknown = new ArrayList<>();
        for (String p : paths) {
            if (cachedValid(p)) out.add(p);
            else unknown.add(p);
        }
        if (!unknown.isEmpty()) {
            long before = drops.get();
            SortedSet<String> found = validInDb(unknown);
            for (String p : found) remember(valid, p, Boolean.TRUE, before);
            out.addAll(found);
        }
        return out;
    }

    private static SortedSet<String> lookUp(Db d, Collection<String> paths) throws SQLException {
        SortedSet<String> found = new TreeSet<>(Utf8Order.COMPARATOR);
        for (String p : paths) if (StoreQueries.isValid(d, p)) found.add(p);
        return found;
    }

    Optional<PathInfo> pathInfo(String path) {
        PathInfo cached = db.cacheMayAnswer() ? infos.getIfPresent(path) : null;
        if (cached != null) return Optional.of(cached);
        long before = drops.get();
        Optional<PathRow> row = db.read(d -> StoreQueries.pathInfo(d, path));
        Optional<PathInfo> info = row.map(this::toInfo);
        info.ifPresent(i -> remember(infos, path, i, before));
        return info;
    }

    PathInfo pathInfoOrThrow(String path) {
        return pathInfo(path).orElseThrow(() -> StoreException.notValid(path));
    }

    /** A scan: the referrers of a core library can be a large part of the store. */
    SortedSet<String> referrers(String path) {
        return db.scan(d -> StoreQueries.referrers(d, path));
    }

    SortedSet<String> validDerivers(String path) {
        return db.read(d -> StoreQueries.validDerivers(d, path));
    }

    SortedMap<String, String> derivationOutputs(String drvPath) {
        return db.read(d -> StoreQueries.derivationOutputs(d, drvPath));
    }

    String pathFromHashPart(String hashPart) {
        if (hashPart.length() != 32) throw new StoreException("invalid hash part");
        String prefix = storeDir.path() + "/" + hashPart;
        return db.read(d -> StoreQueries.pathFromHashPart(d, prefix));
    }

    SortedSet<String> allValidPaths() {
        return db.scan(StoreQueries::allValidPaths);
    }

    SortedSet<String> failedPaths() {
        return db.scan(StoreQueries::failedPaths);
    }

    private PathInfo toInfo(PathRow row) {
        return new PathInfo(row.path(), row.deriver(), parseHashField(row.path(), row.hash()), row.references(),
                row.registrationTime(), row.narSize());
    }

    /** Upstream's parseHashField: {@code <algo>:<base16>}. */
    static Hash parseHashField(String path, String s) {
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw new StoreException("corrupt hash `" + s + "' in valid-path entry for `" + path + "'");
        }
        String algoName = s.substring(0, colon);
        HashAlgorithm algo = HashAlgorithm.fromName(algoName).orElseThrow(() -> new StoreException(
                "unknown hash type `" + algoName + "' in valid-path entry for `" + path + "'"));
        try {
            return Hash.parse(algo, s.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw new StoreException(e.getMessage());
        }
    }
}
