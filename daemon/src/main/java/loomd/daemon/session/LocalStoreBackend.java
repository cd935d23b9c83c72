package loomd.daemon.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Consumer;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.PathInfo;
import loomd.daemon.store.SessionRoots;
import loomd.daemon.store.StagedNar;
import loomd.daemon.store.StoreException;
import loomd.protocol.hash.HashAlgorithm;

/** {@link StoreBackend} over the real store ({@link LocalStore}); a thin, stateless adapter. */
public final class LocalStoreBackend implements StoreBackend {
    private final LocalStore store;
    private final AutoCloseable alsoClose;

    /** @param alsoClose closed after the store (the locker client), or null */
    public LocalStoreBackend(LocalStore store, AutoCloseable alsoClose) {
        this.store = store;
        this.alsoClose = alsoClose;
    }

    @Override public boolean isValidPath(String path) { return store.isValidPath(path); }

    @Override public SortedSet<String> queryValidPaths(Collection<String> paths) {
        return store.queryValidPaths(paths);
    }

    @Override public Optional<PathInfo> queryPathInfo(String path) { return store.queryPathInfo(path); }

    @Override public SortedSet<String> queryReferrers(String path) { return store.queryReferrers(path); }

    @Override public SortedSet<String> queryValidDerivers(String path) { return store.queryValidDerivers(path); }

    @Override public SortedSet<String> queryDerivationOutputs(String path) {
        return store.queryDerivationOutputs(path);
    }

    @Override public SortedSet<String> queryDerivationOutputNames(String path) {
        return store.queryDerivationOutputNames(path);
    }

    @Override public String queryPathFromHashPart(String hashPart) { return store.queryPathFromHashPart(hashPart); }

    @Override public SortedSet<String> queryAllValidPaths() { return store.queryAllValidPaths(); }

    private record Staging(StagedNar nar) implements Staged {
        @Override public void close() { nar.close(); }
    }

    @Override public Staged stageNar(InputStream raw, String name, boolean recursive, String algo) throws IOException {
        return new Staging(store.stageNar(raw, recursive, algo));
    }

    @Override public String addStaged(String name, boolean recursive, String algo, Staged staged, Roots roots) {
        // Parsed here, in the work phase: an unknown algorithm is an ordinary error (protocol.md §6.7).
        HashAlgorithm hash = HashAlgorithm.fromName(algo).orElseThrow(() -> new StoreException("unknown hash type"));
        return store.addStaged(name, recursive, hash, ((Staging) staged).nar(), sessionRoots(roots));
    }

    @Override public String addTextToStore(String name, byte[] text, Collection<String> references, Roots roots) {
        return store.addTextToStore(name, text, new TreeSet<>(references), sessionRoots(roots));
    }

    @Override public void exportPath(String path, boolean sign, OutputStream sink) {
        store.exportPath(path, sign, sink);
    }

    @Override public List<String> importPaths(InputStream source, Roots roots) {
        return store.importPaths(source, true, sessionRoots(roots));
    }

    private record RootsAdapter(SessionRoots roots) implements Roots {
        @Override public void addTempRoot(String path) { roots.addTempRoot(path); }
        @Override public void close() { roots.close(); }
    }

    @Override public Roots openSessionRoots() { return new RootsAdapter(store.openSessionRoots()); }

    private static SessionRoots sessionRoots(Roots roots) {
        return ((RootsAdapter) roots).roots();
    }

    @Override public void addIndirectRoot(String path) { store.addIndirectRoot(path); }

    @Override public Map<String, String> findRoots() { return store.findRoots(); }

    @Override public void syncWithGC(Consumer<String> info) { store.syncWithGC(info); }

    @Override public void reserveSpace(boolean reserve) { store.reserveSpace(reserve); }

    @Override public SortedSet<String> queryFailedPaths() { return store.queryFailedPaths(); }

    @Override public void clearFailedPaths(Collection<String> paths) { store.clearFailedPaths(paths); }

    @Override public void close() {
        store.close();
        if (alsoClose != null) {
            try {
                alsoClose.close();
            } catch (Exception ignored) {
                // shutting down
            }
        }
    }
}
