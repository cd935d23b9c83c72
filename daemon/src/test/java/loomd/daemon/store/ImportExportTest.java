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
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import loomd.daemon.store.auth.FakeAuthenticate;
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
        StoreConfig c = TestStores.config(d).withAuthenticateCommand(FakeAuthenticate.write(d));
        Path key = c.configDir().resolve("signing-key.sec");
        Files.writeString(key, "secret");
        Files.setAttribute(key, "unix:mode", 0600);
        return c;
    }

    static byte[] bundle(LocalStore store, boolean sign, String... paths) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String p : paths) {
            ExportWriter.writeMarker(out, true);
            store.exportPath(p, sign, out);
        }
        ExportWriter.writeMarker(out, false);
        return out.toByteArray();
    }

    @Test
    void signedExportImportsIntoAnotherStoreWithSameMetadata() throws Exception {
        byte[] signed;
        byte[] unsigned;
        PathInfo original;
        try (LocalStore a = TestStores.open(config("a")); SessionRoots roots = a.openSessionRoots()) {
            a.addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            a.addTextToStore("empty.txt", new byte[0], new TreeSet<>(), roots);
            String text = "see " + HELLO + " and " + EMPTY + "\n";
            a.addTextToStore("refs.txt", text.getBytes(StandardCharsets.UTF_8), new TreeSet<>(Set.of(HELLO, EMPTY)), roots);
            original = a.queryPathInfo(REFS).orElseThrow();
            signed = bundle(a, true, HELLO, EMPTY, REFS);
            unsigned = bundle(a, false, HELLO);
        }
        StoreConfig bConfig = config("b");
        try (LocalStore b = TestStores.open(bConfig); SessionRoots roots = b.openSessionRoots()) {
            var e = assertThrows(StoreException.class,
                    () -> b.importPaths(new ByteArrayInputStream(unsigned), true, roots));
            assertEquals("imported archive of `" + HELLO + "' lacks a signature", e.getMessage());
            assertFalse(b.isValidPath(HELLO));

            assertEquals(List.of(HELLO, EMPTY, REFS), b.importPaths(new ByteArrayInputStream(signed), false, roots));
            PathInfo imported = b.queryPathInfo(REFS).orElseThrow();
            assertEquals(original.narHash(), imported.narHash());
            assertEquals(original.narSize(), imported.narSize());
            assertEquals(original.references(), imported.references());
            assertEquals("hello\n", Files.readString(bConfig.physical(HELLO)));
            assertEquals(List.of(HELLO, EMPTY, REFS), b.importPaths(new ByteArrayInputStream(signed), true, roots),
                    "already valid: read, checked, listed again");
            try (Stream<Path> s = Files.list(bConfig.physicalStore())) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".loomd-tmp")), "no temp left");
            }
        }
    }

    @Test
    void tamperedOrUnverifiableItemsAreRefusedAndLeaveNothing() throws Exception {
        byte[] signed;
        try (LocalStore a = TestStores.open(config("a")); SessionRoots roots = a.openSessionRoots()) {
            a.addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            signed = bundle(a, true, HELLO);
        }
        // Flip one content byte inside the NAR ("hello" -> "jello"): the signed hash no longer matches.
        byte[] tampered = signed.clone();
        int at = indexOf(tampered, "hello\n".getBytes());
        tampered[at] = 'j';
        StoreConfig bConfig = config("b");
        try (LocalStore b = TestStores.open(bConfig); SessionRoots roots = b.openSessionRoots()) {
            var e = assertThrows(StoreException.class, () -> b.importPaths(new ByteArrayInputStream(tampered), true, roots));
            assertEquals("signed hash doesn't match actual contents of imported archive; archive could be corrupt,"
                    + " or someone is trying to import a Trojan horse", e.getMessage());
            byte[] badMarker = signed.clone();
            badMarker[0] = 2;
            e = assertThrows(StoreException.class, () -> b.importPaths(new ByteArrayInputStream(badMarker), true, roots));
            assertEquals("input doesn't look like something created by `nix-store --export'", e.getMessage());
            assertTrue(b.queryAllValidPaths().isEmpty());
            try (Stream<Path> s = Files.list(bConfig.physicalStore())) {
                assertEquals(List.of(".links"), s.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    @Test
    void importNeedsValidReferences() throws Exception {
        byte[] refsOnly;
        try (LocalStore a = TestStores.open(config("a")); SessionRoots roots = a.openSessionRoots()) {
            a.addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            a.addTextToStore("empty.txt", new byte[0], new TreeSet<>(), roots);
            String text = "see " + HELLO + " and " + EMPTY + "\n";
            a.addTextToStore("refs.txt", text.getBytes(StandardCharsets.UTF_8), new TreeSet<>(Set.of(HELLO, EMPTY)), roots);
            refsOnly = bundle(a, true, REFS);
        }
        try (LocalStore b = TestStores.open(config("b")); SessionRoots roots = b.openSessionRoots()) {
            var e = assertThrows(StoreException.class, () -> b.importPaths(new ByteArrayInputStream(refsOnly), true, roots));
            assertEquals("path \u2018" + EMPTY + "\u2019 is not valid", e.getMessage());
            assertFalse(b.isValidPath(REFS));
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
