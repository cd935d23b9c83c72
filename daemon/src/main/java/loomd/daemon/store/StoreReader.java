package loomd.daemon.store;

import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import loomd.protocol.wire.Utf8Order;
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
 * path infos. Only positive answers are cached (a path can become valid at any time, also through
 * external writers); an entry is dropped whenever this daemon (re)registers or invalidates the path.
 */
final class StoreReader {
    private final StoreDir storeDir;
    private final StoreDatabase db;
    private final Cache<String, PathInfo> infos;
    private final Cache<String, Boolean> valid;

    StoreReader(StoreDir storeDir, StoreDatabase db, long cacheSize) {
        this.storeDir = storeDir;
        this.db = db;
        this.infos = Caffeine.newBuilder().maximumSize(cacheSize).build();
        this.valid = Caffeine.newBuilder().maximumSize(cacheSize).build();
    }

    /** Drops what is cached about {@code path}: call after (re)registering or invalidating it. */
    void forget(String path) {
        infos.invalidate(path);
        valid.invalidate(path);
    }

    void forgetAll(Collection<String> paths) {
        infos.invalidateAll(paths);
        valid.invalidateAll(paths);
    }

    boolean isValid(String path) {
        if (valid.getIfPresent(path) != null || infos.getIfPresent(path) != null) return true;
        boolean answer = db.read(d -> StoreQueries.isValid(d, path));
        if (answer) valid.put(path, Boolean.TRUE);
        return answer;
    }

    /** Most lookups one point read may do on the caller's (virtual) thread. */
    static final int POINT_READ_LIMIT = 64;

    /** The valid ones among {@code paths}: cache first, the rest with one borrowed connection. */
    SortedSet<String> validPaths(Collection<String> paths) {
        SortedSet<String> out = new TreeSet<>(Utf8Order.COMPARATOR);
        java.util.List<String> unknown = new java.util.ArrayList<>();
        for (String p : paths) {
            if (valid.getIfPresent(p) != null || infos.getIfPresent(p) != null) out.add(p);
            else unknown.add(p);
        }
        if (!unknown.isEmpty()) {
            SqlWork<SortedSet<String>> lookups = d -> {
                SortedSet<String> f = new TreeSet<>();
                for (String p : unknown) if (StoreQueries.isValid(d, p)) f.add(p);
                return f;
            };
            // A client may ask about thousands of paths at once: that is a long native call, so
            // it leaves the virtual thread like a scan; a handful stays a point read.
            SortedSet<String> found = unknown.size() <= POINT_READ_LIMIT ? db.read(lookups) : db.scan(lookups);
            for (String p : found) valid.put(p, Boolean.TRUE);
            out.addAll(found);
        }
        return out;
    }

    Optional<PathInfo> pathInfo(String path) {
        PathInfo cached = infos.getIfPresent(path);
        if (cached != null) return Optional.of(cached);
        Optional<PathRow> row = db.read(d -> StoreQueries.pathInfo(d, path));
        Optional<PathInfo> info = row.map(this::toInfo);
        info.ifPresent(i -> infos.put(path, i));
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
