package loomd.daemon.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.function.Consumer;

import loomd.daemon.store.PathInfo;

/**
 * What a session needs from the store: the port between the wire and {@code loomd.daemon.store}.
 * {@link LocalStoreBackend} implements it over h6's {@code LocalStore}; errors the client must see
 * are {@link loomd.daemon.store.StoreException}s with upstream's texts.
 *
 * <p>Implementations are shared by all sessions and must be thread-safe. Calls come from the
 * sessions' virtual threads; an implementation runs any blocking native work (SQLite busy waits,
 * lock waits, long scans) on its own platform threads.
 */
public interface StoreBackend extends AutoCloseable {

    boolean isValidPath(String path);

    SortedSet<String> queryValidPaths(Collection<String> paths);

    Optional<PathInfo> queryPathInfo(String path);

    SortedSet<String> queryReferrers(String path);

    SortedSet<String> queryValidDerivers(String path);

    SortedSet<String> queryDerivationOutputs(String path);

    SortedSet<String> queryDerivationOutputNames(String path);

    /** The valid path starting with {@code <store>/<hashPart>}, or "". */
    String queryPathFromHashPart(String hashPart);

    SortedSet<String> queryAllValidPaths();

    /** A NAR read completely from the client and restored to a temporary place. */
    interface Staged extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Reads exactly one NAR from {@code raw} (nothing after it) before the work phase. A malformed
     * NAR throws an {@link IOException}, which the session treats as fatal.
     */
    Staged stageNar(InputStream raw, String name, boolean recursive, String algo) throws IOException;

    String addStaged(String name, boolean recursive, String algo, Staged staged, Roots roots) throws IOException;

    String addTextToStore(String name, byte[] text, Collection<String> references, Roots roots) throws IOException;

    void exportPath(String path, boolean sign, OutputStream sink) throws IOException;

    List<String> importPaths(InputStream source, Roots roots) throws IOException;

    /** The temporary GC roots of one session; created lazily, removed by {@link #close()}. */
    interface Roots extends AutoCloseable {
        void addTempRoot(String path) throws IOException;

        @Override
        void close();
    }

    Roots openSessionRoots() throws IOException;

    void addIndirectRoot(String path) throws IOException;

    /** Link file name to store path, sorted by link name. */
    Map<String, String> findRoots() throws IOException;

    /** Session start: keep {@code <db>/reserved} (the client asked to reserve space) or delete it. */
    void reserveSpace(boolean reserve);

    /** Waits for a running collector; {@code info} gets the wait message (the client's STDERR_NEXT) first. */
    void syncWithGC(Consumer<String> info) throws IOException;

    SortedSet<String> queryFailedPaths();

    void clearFailedPaths(Collection<String> paths);

    @Override
    void close();
}
