package loomd.daemon.store;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.protocol.store.BadStorePathException;
import loomd.protocol.store.StoreDir;
import loomd.protocol.wire.Utf8Order;

/**
 * What the store knows about paths ({@code store.queries()}): validity, path infos, references,
 * derivers and derivation outputs, hash parts, and the failed-build cache. Thread-safe. Paths are
 * not checked strictly here: upstream answers "not valid" for any path in the store (its test
 * {@code valid-path? false} asks about {@code <store>/eeee…-foobar}) and refuses only paths
 * outside it. Answers may come from a cache, within the limits the package documentation states.
 */
public final class PathQueries {
    private final StoreDir storeDir;
    private final StoreReader reader;
    private final StoreDatabase db;

    PathQueries(StoreDir storeDir, StoreReader reader, StoreDatabase db) {
        this.storeDir = storeDir;
        this.reader = reader;
        this.db = db;
    }

    /** Upstream asserts a store path (``path `p' is not in the store``) then looks it up. */
    public boolean isValidPath(String path) {
        try {
            storeDir.assertStorePath(path);
        } catch (BadStorePathException e) {
            throw new StoreException(e.getMessage());
        }
        return reader.isValid(path);
    }

    /**
     * Makes every cache see what other processes committed until now (the build hook registers
     * outputs itself, daemon.md §6.4): an empty write transaction polls {@code PRAGMA data_version}
     * right after {@code BEGIN IMMEDIATE} and drops the caches on a change, so the next read is current.
     */
    public void seeForeignCommits() {
        db.write(c -> null);
    }

    /** The valid ones among {@code paths}, in byte order. */
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

    /** Forgets failed builds ({@code "*"}: all); the one write here, to the failed-build cache. */
    public void clearFailedPaths(Collection<String> paths) {
        db.write(d -> StoreQueries.clearFailedPaths(d, List.copyOf(paths)));
    }

    /** Records failed builds' outputs ({@code build-cache-failure}, daemon.md §4.13). */
    public void registerFailedPaths(Collection<String> paths) {
        long now = System.currentTimeMillis() / 1000;
        db.write(d -> {
            for (String p : paths) StoreQueries.registerFailedPath(d, p, now);
            return null;
        });
    }
}
