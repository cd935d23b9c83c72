package loomd.daemon.build;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.PathInfo;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.db.Registration;
import loomd.daemon.store.fs.Canonicaliser;
import loomd.daemon.store.fs.FileTrees;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.FileHashes;
import loomd.protocol.nar.NarWriter;

/**
 * Upstream's {@code registerOutputs} (daemon.md §4.12) after a builder exited 0: every output checked
 * (present, sane permissions, fixed-output hash), canonicalised, moved from where the builder wrote it
 * into the store, scanned for references with its NAR hash and size in one pass, checked against the
 * reference restrictions, and registered with its deriver in ONE {@code registerValidPaths} call. The
 * caller holds the output locks for the whole call. Thread-safe (no state of its own).
 */
public final class OutputRegistrar {
    private final LocalStore store;
    private final Canonicaliser canonicaliser;

    public OutputRegistrar(LocalStore store) {
        this.store = store;
        this.canonicaliser = Canonicaliser.ownedBySelf();
    }

    /**
     * What one build produced and where.
     *
     * @param drvPath    the derivation (the deriver of every output)
     * @param drv        its parsed text
     * @param inputPaths the input closure: reference candidates with the outputs
     * @param builtAt    where the builder left an output (logical path to file): the container's fake
     *                   store for a chroot build, the store itself otherwise
     */
    public record Built(String drvPath, Derivation drv, SortedSet<String> inputPaths, Function<String, Path> builtAt) {}

    /**
     * One output after steps 2 to 8 of §4.12: where it is now (the store, or still the container in
     * check mode) and what the scan found (NAR hash and size, references).
     */
    public record Scanned(String path, Path at, ReferenceScanner.Result result) {}

    /** Checks, moves and registers every output of {@code b}; returns what was registered, in output-name order. */
    public List<Registration> register(Built b) throws BuildFailure {
        return commit(b, inspect(b, true));
    }

    /**
     * Steps 2 to 8 for every output: present with sane permissions, the fixed-output hash,
     * canonicalised, moved into the store if {@code intoStore} (check mode leaves it where it was
     * built), then scanned. Registers nothing.
     */
    public SortedMap<String, Scanned> inspect(Built b, boolean intoStore) throws BuildFailure {
        SortedMap<String, Path> placed = new TreeMap<>();
        for (var e : b.drv().outputs().entrySet()) {
            String path = e.getValue().path();
            Path at = b.builtAt().apply(path);
            checkPresent(b.drvPath(), path, at);
            checkFixedOutput(e.getValue(), at);
            canonicaliser.canonicalise(at, path);
            placed.put(path, intoStore ? moveIntoStore(path, at) : at);
        }
        SortedSet<String> candidates = new TreeSet<>(b.inputPaths());
        candidates.addAll(placed.keySet());
        SortedMap<String, Scanned> scans = new TreeMap<>();
        // Outputs to register get their .links keys from this pass; check mode registers nothing.
        placed.forEach((p, at) -> scans.put(p, new Scanned(p, at,
                scan(p, at, candidates, intoStore ? store.maintenance().newFileHashes() : null))));
        return scans;
    }

    /** Steps 10 and 12: the reference restrictions, then every output registered in ONE call. */
    public List<Registration> commit(Built b, SortedMap<String, Scanned> scans) throws BuildFailure {
        try {
            Map<String, SortedSet<String>> refs = new TreeMap<>();
            scans.forEach((p, s) -> refs.put(p, s.result().references()));
            ReferenceRestrictions.check(b.drv(), store.config().storeDir().path(), refs, this::dbReferences);
            List<Registration> batch = new ArrayList<>();
            Map<String, FileHashes> linkKeys = new HashMap<>();
            scans.forEach((p, s) -> {
                batch.add(Registration.of(p, s.result().nar().narHash().toBase16(),
                        s.result().nar().narSize(), s.result().references(), b.drvPath()));
                if (s.result().linkKeys() != null) linkKeys.put(p, s.result().linkKeys());
            });
            // Not synced here: outputs are registered above the durable checkpoint, so the start after a
            // power cut verifies them like any add (store package-info, "Durability").
            store.adds().registerValidPaths(batch, linkKeys);
            return batch;
        } catch (BuildFailure | RuntimeException e) {
            discard(scans, e);
            throw e;
        }
    }

    /**
     * Removes outputs already moved into the store that will not be registered (a rejected reference,
     * a full disk): no contents without registration. The goal still holds the outputs' locks.
     */
    private void discard(SortedMap<String, Scanned> scans, Exception failure) {
        for (Scanned s : scans.values()) {
            if (s.at().equals(store.config().physical(s.path()))) {
                try {
                    FileTrees.deleteRecursively(s.at());
                } catch (IOException e) {
                    failure.addSuppressed(e);
                }
            }
        }
    }

    private static void checkPresent(String drvPath, String path, Path at) throws BuildFailure {
        if (!Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailure(BuildFailure.Kind.OUTPUT_REJECTED,
                    "builder for `" + drvPath + "' failed to produce output path `" + path + "'");
        }
        try {
            if (!Files.isSymbolicLink(at) && ((Integer) Files.getAttribute(at, "unix:mode", LinkOption.NOFOLLOW_LINKS)
                    & 0022) != 0) {
                throw new BuildFailure(BuildFailure.Kind.OUTPUT_REJECTED,
                        "suspicious ownership or permission on `" + path + "'; rejecting this build output");
            }
        } catch (IOException e) {
            throw new StoreException("getting attributes of path `" + path + "': " + e.getMessage());
        }
    }

    /** §4.12 step 5: the declared hash, flat (a non-executable regular file) or of the NAR. */
    private static void checkFixedOutput(DerivationOutput out, Path at) throws BuildFailure {
        if (out.hash().isEmpty()) {
            return;
        }
        HashAlgorithm algo = HashAlgorithm.parse(out.algorithmName());
        Hash actual;
        try {
            if (out.isRecursive()) {
                MessageDigest digest = algo.newDigest();
                new NarWriter().write(at, new DigestSink(digest));
                actual = Hash.finish(algo, digest);
            } else {
                if (!Files.isRegularFile(at, LinkOption.NOFOLLOW_LINKS) || Files.isExecutable(at)) {
                    // upstream's text lacks the closing quote
                    throw new BuildFailure(BuildFailure.Kind.OUTPUT_REJECTED,
                            "output path `" + out.path() + " should be a non-executable regular file");
                }
                actual = flatHash(algo, at);
            }
        } catch (IOException e) {
            throw new StoreException("hashing `" + out.path() + "': " + e.getMessage());
        }
        Hash expected = Hash.parse(algo, out.hash());
        if (!expected.equals(actual)) {
            throw new BuildFailure(BuildFailure.Kind.OUTPUT_REJECTED,
                    "hash mismatch for store item '" + out.path() + "'",
                    List.of(TraceLines.hashMismatch(out.path(), out.hashAlgo(), printed(expected), printed(actual))));
        }
    }

    private static String printed(Hash h) {
        return h.algorithm() == HashAlgorithm.MD5 ? h.toBase16() : h.toNixBase32();
    }

    private static Hash flatHash(HashAlgorithm algo, Path file) throws IOException {
        MessageDigest digest = algo.newDigest();
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return Hash.finish(algo, digest);
    }

    /**
     * Renames the output from the container into the store (a no-op when it was built in place). A
     * leftover at the destination is an invalid path (the goal checked, under the lock) and goes.
     * The top directory stays 0555 (recommended over upstream's §9.39); it is made writable for the
     * rename only, which an unprivileged daemon needs to move a directory.
     */
    private Path moveIntoStore(String path, Path at) {
        Path dest = store.config().physical(path);
        if (dest.equals(at)) {
            return dest;
        }
        try {
            // Upstream's replaceValidPath: the old tree (a leftover, or in repair mode the corrupted
            // valid path) is renamed aside first, so readers see the old or the new tree, never neither.
            Path old = null;
            if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
                old = dest.resolveSibling(dest.getFileName() + ".old-" + ProcessHandle.current().pid() + "-"
                        + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36));
                makeMovable(dest);
                Files.move(dest, old, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            boolean dir = Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS);
            if (dir) {
                Files.setAttribute(at, "unix:mode", 0755);
            }
            Files.move(at, dest, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            if (dir) {
                Files.setAttribute(dest, "unix:mode", 0555);
            }
            if (old != null) {
                FileTrees.deleteRecursively(old);
            }
            return dest;
        } catch (IOException e) {
            throw new StoreException("moving build output `" + path + "' from the chroot to the store: " + e.getMessage());
        }
    }

    /** An unprivileged daemon can rename a directory only if it may write it (its {@code ..} entry). */
    private static void makeMovable(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.setAttribute(p, "unix:mode", 0755);
        }
    }

    private static ReferenceScanner.Result scan(String path, Path at, SortedSet<String> candidates,
                                                FileHashes linkKeys) {
        try {
            return ReferenceScanner.scan(at, candidates, linkKeys);
        } catch (IOException e) {
            throw new StoreException("scanning `" + path + "' for references: " + e.getMessage());
        }
    }

    private SortedSet<String> dbReferences(String path) {
        return store.queries().queryPathInfo(path).map(PathInfo::references).orElseGet(TreeSet::new);
    }

    /** Feeds a digest, nothing else. */
    private static final class DigestSink extends OutputStream {
        private final MessageDigest digest;

        DigestSink(MessageDigest digest) {
            this.digest = digest;
        }

        @Override
        public void write(int b) {
            digest.update((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            digest.update(b, off, len);
        }
    }
}
