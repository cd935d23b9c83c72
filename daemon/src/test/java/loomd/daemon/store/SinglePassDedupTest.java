package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import loomd.daemon.build.ReferenceScanner;
import loomd.daemon.store.db.Registration;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.FileHashes;
import loomd.protocol.nar.NarWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deduplication in the same pass as hashing (daemon.md §8.1, §9.6): adds, imports, substitutions
 * and build outputs link their large files into {@code .links} under the right key without the
 * deduplicator reading any file again; a path registered without keys, and optimise-store, still do.
 */
class SinglePassDedupTest {
    private static final String SUBST = "/gnu/store/0ab1c2d3f4g5h6i7j8k9l0m1n2p3q4r5-subst";
    private static final String BUILT = "/gnu/store/1ab1c2d3f4g5h6i7j8k9l0m1n2p3q4r5-built";
    private static final String UNKEYED = "/gnu/store/2ab1c2d3f4g5h6i7j8k9l0m1n2p3q4r5-unkeyed";

    @TempDir Path dir;

    /** A tree with two large files (one executable), one small file and a subdirectory. */
    private Path tree(String name, int seed) throws IOException {
        Path root = Files.createDirectories(dir.resolve("src").resolve(name));
        write(root.resolve("lib.so"), 50_001, seed, 0644);
        write(Files.createDirectories(root.resolve("bin")).resolve("tool"), 12_000, seed + 1, 0755);
        write(root.resolve("README"), 300, seed + 2, 0644);
        return root;
    }

    private static void write(Path file, int size, int seed, int mode) throws IOException {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        Files.write(file, bytes);
        Files.setAttribute(file, "unix:mode", mode);
    }

    /** Each large file of {@code item} is the very inode of {@code .links/<its NAR hash>}. */
    private static void assertLinked(StoreConfig config, String item, String... large) throws IOException {
        for (String rel : large) {
            Path file = config.physical(item).resolve(rel);
            Path link = config.physicalStore().resolve(".links").resolve(NarWriter.hash(file).narHash().toNixBase32());
            assertTrue(Files.exists(link, LinkOption.NOFOLLOW_LINKS), item + "/" + rel + " has its .links entry");
            assertEquals(Files.getAttribute(link, "unix:ino"), Files.getAttribute(file, "unix:ino"), rel);
        }
    }

    private static Registration registration(String path, Path physical) throws IOException {
        var nar = NarWriter.hash(physical);
        return Registration.of(path, nar.narHash().toBase16(), nar.narSize(), new TreeSet<>(), "");
    }

    @Test
    void addsTextAndSubstitutionsAreKeyedWhileRestored() throws Exception {
        StoreConfig config = TestStores.config(dir.resolve("a"));
        try (LocalStore store = TestStores.open(config); SessionRoots roots = store.roots().openSessionRoots()) {
            byte[] nar = TestStores.nar(tree("added", 1));
            String added = store.adds().addStaged("added", true, HashAlgorithm.SHA256,
                    store.adds().stageNar(new ByteArrayInputStream(nar), true, "sha256"), roots);
            assertLinked(config, added, "lib.so", "bin/tool");

            byte[] big = new byte[20_000];
            new Random(7).nextBytes(big);
            String text = store.adds().addTextToStore("big.txt", big, new TreeSet<>(), roots);
            assertLinked(config, text, "");

            byte[] substituted = TestStores.nar(tree("subst", 2));
            StagedNar staged = store.adds().stageNar(new ByteArrayInputStream(substituted));
            store.adds().installStaged(staged, Registration.of(SUBST, staged.narHash().toBase16(), staged.narSize(),
                    new TreeSet<>(), ""));
            assertLinked(config, SUBST, "lib.so", "bin/tool");

            assertEquals(0, store.maintenance().filesHashedForLinks(), "no large file was read a second time");
        }
    }

    @Test
    void importsAreKeyedWhileRestored() throws Exception {
        StoreConfig a = TestStores.signing(TestStores.config(dir.resolve("a")), dir.resolve("a"));
        StoreConfig b = TestStores.signing(TestStores.config(dir.resolve("b")), dir.resolve("b"));
        byte[] bundle;
        String path;
        try (LocalStore store = TestStores.open(a); SessionRoots roots = store.roots().openSessionRoots()) {
            byte[] nar = TestStores.nar(tree("exported", 3));
            path = store.adds().addStaged("exported", true, HashAlgorithm.SHA256,
                    store.adds().stageNar(new ByteArrayInputStream(nar), true, "sha256"), roots);
            bundle = TestStores.bundle(store, true, path);
        }
        try (LocalStore store = TestStores.open(b); SessionRoots roots = store.roots().openSessionRoots()) {
            assertEquals(List.of(path), store.archives().importPaths(new ByteArrayInputStream(bundle), roots));
            assertLinked(b, path, "lib.so", "bin/tool");
            assertEquals(0, store.maintenance().filesHashedForLinks());
        }
    }

    /**
     * A build output is keyed by its reference scan; the control, a path registered without keys,
     * is read by the deduplicator (so the count above is real), and so is a path optimise-store
     * meets with no key.
     */
    @Test
    void buildOutputsAreKeyedByTheScanAndOthersAreRead() throws Exception {
        StoreConfig config = TestStores.config(dir.resolve("a"));
        try (LocalStore store = TestStores.open(config); SessionRoots roots = store.roots().openSessionRoots()) {
            Path built = placed(config, BUILT, 4);
            FileHashes keys = store.maintenance().newFileHashes();
            ReferenceScanner.Result scan = ReferenceScanner.scan(built, List.of(BUILT), keys);
            store.adds().registerValidPaths(List.of(Registration.of(BUILT, scan.nar().narHash().toBase16(),
                    scan.nar().narSize(), scan.references(), "")), Map.of(BUILT, scan.linkKeys()));
            assertLinked(config, BUILT, "lib.so", "bin/tool");
            assertEquals(0, store.maintenance().filesHashedForLinks(), "the scan's keys were used");

            store.maintenance().setAutoDeduplicate(false);
            store.adds().registerValidPaths(List.of(registration(UNKEYED, placed(config, UNKEYED, 5))));
            assertEquals(1, Files.getAttribute(config.physical(UNKEYED).resolve("lib.so"), "unix:nlink"),
                    "--disable-deduplication links nothing");
            store.maintenance().setAutoDeduplicate(true);
            var optimised = store.maintenance().optimiseStore(roots, (level, text) -> { });
            assertEquals(2, store.maintenance().filesHashedForLinks(), "optimise-store reads the unkeyed files");
            assertEquals(0, optimised.filesLinked(), "new entries, nothing replaced");
            assertLinked(config, UNKEYED, "lib.so", "bin/tool");
        }
    }

    /** {@code tree} copied to {@code path}'s place in the store, canonical (read-only) as a build leaves it. */
    private Path placed(StoreConfig config, String path, int seed) throws IOException {
        Path src = tree(path.substring(44), seed);
        Path dest = config.physical(path);
        Files.createDirectories(dest.resolve("bin"));
        for (String rel : List.of("lib.so", "bin/tool", "README")) {
            Files.copy(src.resolve(rel), dest.resolve(rel), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            Files.setAttribute(dest.resolve(rel), "unix:mode", rel.equals("bin/tool") ? 0555 : 0444);
        }
        Files.setAttribute(dest.resolve("bin"), "unix:mode", 0555);
        Files.setAttribute(dest, "unix:mode", 0555);
        return dest;
    }
}
