package loomd.daemon.session;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import loomd.daemon.store.PathInfo;
import loomd.daemon.store.StoreException;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/**
 * An in-memory stand-in for the store, for unit tests of the session layer only (the
 * integration tests in {@code test/} use the real store). Text added goes in as a path named
 * after its content; imports read the stream to its end and echo its size.
 */
final class FakeStore implements StoreBackend {
    final Map<String, PathInfo> paths = new ConcurrentHashMap<>();
    final List<String> tempRoots = new ArrayList<>();
    final List<String> indirectRoots = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile boolean rootsClosed;

    void add(String path, String... refs) {
        paths.put(path, new PathInfo(path, null, Hash.of(HashAlgorithm.SHA256, path.getBytes()),
                new TreeSet<>(List.of(refs)), 1_700_000_000L, 120));
    }

    @Override public boolean isValidPath(String path) { return paths.containsKey(path); }

    @Override public SortedSet<String> queryValidPaths(Collection<String> ps) {
        TreeSet<String> r = new TreeSet<>();
        for (String p : ps) if (paths.containsKey(p)) r.add(p);
        return r;
    }

    @Override public Optional<PathInfo> queryPathInfo(String path) { return Optional.ofNullable(paths.get(path)); }

    @Override public SortedSet<String> queryReferrers(String path) {
        TreeSet<String> r = new TreeSet<>();
        paths.values().forEach(i -> { if (i.references().contains(path)) r.add(i.path()); });
        return r;
    }

    @Override public SortedSet<String> queryValidDerivers(String path) { return new TreeSet<>(); }

    @Override public SortedSet<String> queryDerivationOutputs(String path) {
        if (!paths.containsKey(path)) throw StoreException.notValid(path);
        return new TreeSet<>();
    }

    @Override public SortedSet<String> queryDerivationOutputNames(String path) { return queryDerivationOutputs(path); }

    @Override public String queryPathFromHashPart(String hashPart) {
        if (hashPart.length() != 32) throw new StoreException("invalid hash part");
        return paths.keySet().stream().filter(p -> p.startsWith("/gnu/store/" + hashPart)).findFirst().orElse("");
    }

    @Override public SortedSet<String> queryAllValidPaths() { return new TreeSet<>(paths.keySet()); }

    @Override public Staged stageNar(InputStream raw, String name, boolean recursive, String algo) throws IOException {
        throw new IOException("not in the fake");
    }

    @Override public String addStaged(String name, boolean recursive, String algo, Staged staged, Roots roots) {
        throw new UnsupportedOperationException();
    }

    @Override public String addTextToStore(String name, byte[] text, Collection<String> references, Roots roots)
            throws IOException {
        for (String r : references) if (!paths.containsKey(r)) throw StoreException.notValidId(r);
        String path = "/gnu/store/" + "a".repeat(32) + "-" + name;
        add(path, references.toArray(String[]::new));
        roots.addTempRoot(path);
        return path;
    }

    @Override public void exportPath(String path, boolean sign, OutputStream sink) throws IOException {
        if (!paths.containsKey(path)) throw StoreException.notValid(path);
        sink.write(new byte[100_000]);
    }

    @Override public List<String> importPaths(InputStream source, Roots roots) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[1000];
        int n;
        // Reads exactly 8 bytes: a length, then that many bytes (never more than the stream has).
        byte[] len = source.readNBytes(8);
        long size = java.nio.ByteBuffer.wrap(len).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        while (all.size() < size && (n = source.read(buf, 0, (int) Math.min(buf.length, size - all.size()))) > 0) {
            all.write(buf, 0, n);
        }
        return List.of("size=" + all.size());
    }

    @Override public Roots openSessionRoots() {
        return new Roots() {
            @Override public void addTempRoot(String path) { synchronized (tempRoots) { tempRoots.add(path); } }
            @Override public void close() { rootsClosed = true; }
        };
    }

    /** Records the link, then fails as the real store does on a name no file can have (a NUL byte). */
    @Override public void addIndirectRoot(String path) {
        indirectRoots.add(path);
        java.nio.file.Path.of(path);
    }

    @Override public Map<String, String> findRoots() { return new TreeMap<>(Map.of("/tmp/r", "/gnu/store/x")); }

    @Override public void syncWithGC(java.util.function.Consumer<String> info) { }

    @Override public void reserveSpace(boolean reserve) { }

    @Override public SortedSet<String> queryFailedPaths() { return new TreeSet<>(); }

    @Override public void clearFailedPaths(Collection<String> ps) { }

    @Override public void close() { }
}
