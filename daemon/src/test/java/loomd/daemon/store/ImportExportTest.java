package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import loomd.protocol.export.ExportWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportExportTest {
    static final String HELLO = LocalStoreTest.HELLO_TEXT;
    static final String EMPTY = LocalStoreTest.EMPTY_TEXT;
    static final String REFS = LocalStoreTest.REFS_TEXT;

    @TempDir Path dir;

    StoreConfig config(String name) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        return TestStores.signing(TestStores.config(d), d);
    }

    @Test
    void signedExportImportsIntoAnotherStoreWithSameMetadata() throws Exception {
        byte[] signed;
        byte[] unsigned;
        PathInfo original;
        try (LocalStore a = TestStores.open(config("a")); SessionRoots roots = a.roots().openSessionRoots()) {
            a.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            a.adds().addTextToStore("empty.txt", new byte[0], new TreeSet<>(), roots);
            String text = "see " + HELLO + " and " + EMPTY + "\n";
            a.adds().addTextToStore("refs.txt", text.getBytes(StandardCharsets.UTF_8), new TreeSet<>(Set.of(HELLO, EMPTY)), roots);
            original = a.queries().queryPathInfo(REFS).orElseThrow();
            signed = TestStores.bundle(a, true, HELLO, EMPTY, REFS);
            unsigned = TestStores.bundle(a, false, HELLO);
        }
        StoreConfig bConfig = config("b");
        try (LocalStore b = TestStores.open(bConfig); SessionRoots roots = b.roots().openSessionRoots()) {
            var e = assertThrows(StoreException.class,
                    () -> b.archives().importPaths(new ByteArrayInputStream(unsigned), roots));
            assertEquals("imported archive of `" + HELLO + "' lacks a signature", e.getMessage());
            assertFalse(b.queries().isValidPath(HELLO));

            assertEquals(List.of(HELLO, EMPTY, REFS), b.archives().importPaths(new ByteArrayInputStream(signed), roots));
            PathInfo imported = b.queries().queryPathInfo(REFS).orElseThrow();
            assertEquals(original.narHash(), imported.narHash());
            assertEquals(original.narSize(), imported.narSize());
            assertEquals(original.references(), imported.references());
            assertEquals("hello\n", Files.readString(bConfig.physical(HELLO)));
            assertEquals(List.of(HELLO, EMPTY, REFS), b.archives().importPaths(new ByteArrayInputStream(signed), roots),
                    "already valid: read, checked, listed again");
            try (Stream<Path> s = Files.list(bConfig.physicalStore())) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".loomd-tmp")), "no temp left");
            }
        }
    }

    @Test
    void tamperedOrUnverifiableItemsAreRefusedAndLeaveNothing() throws Exception {
        byte[] signed;
        try (LocalStore a = TestStores.open(config("a")); SessionRoots roots = a.roots().openSessionRoots()) {
            a.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            signed = TestStores.bundle(a, true, HELLO);
        }
        // Flip one content byte inside the NAR ("hello" -> "jello"): the signed hash no longer matches.
        byte[] tampered = signed.clone();
        int at = indexOf(tampered, "hello\n".getBytes());
        tampered[at] = 'j';
        StoreConfig bConfig = config("b");
        try (LocalStore b = TestStores.open(bConfig); SessionRoots roots = b.roots().openSessionRoots()) {
            var e = assertThrows(StoreException.class, () -> b.archives().importPaths(new ByteArrayInputStream(tampered), roots));
            assertEquals("signed hash doesn't match actual contents of imported archive; archive could be corrupt,"
                    + " or someone is trying to import a Trojan horse", e.getMessage());
            byte[] badMarker = signed.clone();
            badMarker[0] = 2;
            e = assertThrows(StoreException.class, () -> b.archives().importPaths(new ByteArrayInputStream(badMarker), roots));
            assertEquals("input doesn't look like something created by `nix-store --export'", e.getMessage());
            assertTrue(b.queries().queryAllValidPaths().isEmpty());
            try (Stream<Path> s = Files.list(bConfig.physicalStore())) {
                assertEquals(List.of(".links"), s.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    @Test
    void importNeedsValidReferences() throws Exception {
        byte[] refsOnly;
        try (LocalStore a = TestStores.open(config("a")); SessionRoots roots = a.roots().openSessionRoots()) {
            a.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            a.adds().addTextToStore("empty.txt", new byte[0], new TreeSet<>(), roots);
            String text = "see " + HELLO + " and " + EMPTY + "\n";
            a.adds().addTextToStore("refs.txt", text.getBytes(StandardCharsets.UTF_8), new TreeSet<>(Set.of(HELLO, EMPTY)), roots);
            refsOnly = TestStores.bundle(a, true, REFS);
        }
        try (LocalStore b = TestStores.open(config("b")); SessionRoots roots = b.roots().openSessionRoots()) {
            var e = assertThrows(StoreException.class, () -> b.archives().importPaths(new ByteArrayInputStream(refsOnly), roots));
            assertEquals("path \u2018" + EMPTY + "\u2019 is not valid", e.getMessage());
            assertFalse(b.queries().isValidPath(REFS));
        }
    }

    /** What the fake {@code guix authenticate} answers to "sign": its "verify" accepts it. */
    static String fakeSignature(byte[] signedHash) {
        return "(signature (data (flags rfc6979) (hash sha256 #" + java.util.HexFormat.of().withUpperCase()
                .formatHex(signedHash) + "#)) (sig-val (ecdsa)) (public-key (ecc)))";
    }

    /** An item of a bundle made up by a test, signed as the fake {@code guix authenticate} would. */
    record Item(String path, Set<String> references, String deriver) {}

    byte[] forgedBundle(Item... items) throws IOException {
        Path file = Files.writeString(Files.createDirectories(dir.resolve("src")).resolve("f"), "not a store item\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Item item : items) {
            ExportWriter.writeMarker(out, true);
            ExportWriter.writeItem(out, file, item.path(), item.references(), item.deriver(),
                    ImportExportTest::fakeSignature);
        }
        ExportWriter.writeMarker(out, false);
        return out.toByteArray();
    }

    /** A signed one-item bundle claiming {@code path} for a small file. */
    byte[] forgedBundle(String path) throws IOException {
        return forgedBundle(new Item(path, Set.of(), ""));
    }

    /**
     * The items of a bundle are installed together: every tree canonical, then every rename, then one
     * registration transaction. References and derivers may name items earlier in the bundle.
     */
    @Test
    void aBundleIsInstalledAsOneBatchWithReferencesAndDeriversWithinIt() throws Exception {
        String base = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y";
        String one = base + "1-one";
        String two = base + "2-two";
        String three = base + "3-three";
        List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        StoreObserver recorder = new StoreObserver() {
            @Override
            public void canonicalised(String tempName, String destination) {
                events.add("synced " + destination);
            }

            @Override
            public void renamed(String destination) {
                events.add("renamed " + destination);
            }

            @Override
            public void registered(String destination) {
                events.add("registered " + destination);
            }
        };
        byte[] bundle = forgedBundle(new Item(one, Set.of(), ""), new Item(two, Set.of(one), one),
                new Item(three, Set.of(one, two), base + "9-nowhere"), new Item(one, Set.of(), ""));
        try (LocalStore b = TestStores.open(config("b"), recorder); SessionRoots roots = b.roots().openSessionRoots()) {
            assertEquals(List.of(one, two, three, one),
                    b.archives().importPaths(new ByteArrayInputStream(bundle), roots));
            assertEquals(List.of("synced " + one, "synced " + two, "synced " + three,
                    "renamed " + one, "renamed " + two, "renamed " + three,
                    "registered " + one, "registered " + two, "registered " + three), events);
            assertEquals(Set.of(one, two), b.queries().pathInfoOrThrow(three).references());
            assertEquals(one, b.queries().pathInfoOrThrow(two).deriver(), "a deriver earlier in the bundle is kept");
            assertEquals(null, b.queries().pathInfoOrThrow(three).deriver(), "an invalid deriver is dropped");
        }
    }

    /**
     * A bundle is input from outside: a path that is not exactly {@code <store>/<hash>-<name>} is
     * refused before anything is locked, renamed or deleted by that name. ({@code <store>/..} used to
     * make the import delete the store's parent directory, and the others were installed and registered.)
     */
    @Test
    void importRefusesItemsWhosePathIsNotAStrictStorePathAndTouchesNothing() throws Exception {
        StoreConfig c = config("b");
        Path store = c.physicalStore();
        String valid = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-";
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("/gnu/store/..", "path `/gnu/store/..' is not a valid store path");
        bad.put("/gnu/store/.links", "path `/gnu/store/.links' is not a valid store path");
        bad.put("/gnu/store/trash", "path `/gnu/store/trash' is not a valid store path");
        bad.put("/gnu/store/abc", "path `/gnu/store/abc' is not a valid store path");
        bad.put(valid + "a b\nc", "path `" + valid + "a b\nc' has an invalid name: invalid character ` ' in name `a b\nc'");
        try (LocalStore b = TestStores.open(c); SessionRoots roots = b.roots().openSessionRoots()) {
            Path parentMarker = Files.writeString(store.getParent().resolve("marker"), "parent");
            Path linkMarker = Files.writeString(store.resolve(".links").resolve("marker"), "link");
            for (var e : bad.entrySet()) {
                byte[] bundle = forgedBundle(e.getKey());
                var error = assertThrows(StoreException.class,
                        () -> b.archives().importPaths(new ByteArrayInputStream(bundle), roots), e.getKey());
                assertEquals(e.getValue(), error.getMessage());
                assertEquals("parent", Files.readString(parentMarker), "the store's parent is untouched");
                assertEquals("link", Files.readString(linkMarker), ".links is untouched");
                assertTrue(Files.isDirectory(store.resolve(".links")));
                try (Stream<Path> s = Files.list(store)) {
                    assertEquals(List.of(".links"), s.map(p -> p.getFileName().toString()).toList(),
                            "nothing installed, locked or left behind for " + e.getKey());
                }
                assertTrue(b.queries().queryAllValidPaths().isEmpty(), "nothing registered");
            }
            assertEquals(List.of(valid + "forged"),
                    b.archives().importPaths(new ByteArrayInputStream(forgedBundle(valid + "forged")), roots),
                    "the same bundle with a strict path goes in: the refusals were the paths'");
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
