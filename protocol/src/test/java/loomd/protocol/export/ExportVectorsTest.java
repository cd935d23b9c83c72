package loomd.protocol.export;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import loomd.protocol.client.TestNar;
import loomd.protocol.store.BadStorePathException;
import loomd.protocol.store.StoreDir;
import loomd.protocol.wire.WireLimits;
import org.junit.jupiter.api.Test;

/** test-vectors.md §6 byte for byte, and malformed export streams. */
class ExportVectorsTest {
    static final String PATH = "/gnu/store/nnv962p503wd3di297nmj7p16s9277xf-refs.txt";
    static final String EMPTY = "/gnu/store/1hsw4vkd7sfw6bda2808j3pnc2w3avx4-empty.txt";
    static final String HELLO = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";
    static final byte[] NAR = TestNar.of(TestNar.file("see " + HELLO + " and " + EMPTY + "\n", false));

    static byte[] bundle() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExportWriter.writeMarker(out, true);
        ExportWriter.writeItem(out, o -> o.write(NAR), PATH, List.of(HELLO, EMPTY), "", null);
        ExportWriter.writeMarker(out, false);
        return out.toByteArray();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** A NAR handler for the one known NAR: reads exactly its bytes and checks them. */
    static ExportReader.NarHandler knownNar(byte[] expected) {
        return in -> {
            byte[] got = in.readNBytes(expected.length);
            if (!Arrays.equals(expected, got)) {
                throw new IOException("NAR differs");
            }
        };
    }

    @Test
    void writerMatchesTheVectorByteForByte() throws Exception {
        assertEquals(232, NAR.length);
        byte[] b = bundle();
        assertEquals(472, b.length);
        assertEquals("9f5578df1f2d0251fca4e8fcef26832f35d86b755b5ddd44c131b185bde583df", sha256(b));
        assertEquals("6953928b64d75be2e15d5a9d5f2b8dfa2712b8df4e4a30420c9767d2e3a02d5d",
                sha256(Arrays.copyOfRange(b, 0x08, 0x1c8)));
    }

    @Test
    void writerReturnsTheSignedHashAndSigns() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[][] seen = new byte[1][];
        byte[] h = ExportWriter.writeItem(out, o -> o.write(NAR), PATH, List.of(EMPTY, HELLO), "",
                hash -> { seen[0] = hash; return "(signature \u00ff)"; });
        assertEquals("6953928b64d75be2e15d5a9d5f2b8dfa2712b8df4e4a30420c9767d2e3a02d5d", HexFormat.of().formatHex(h));
        assertArrayEquals(h, seen[0]);
        ExportReader r = new ExportReader(new ByteArrayInputStream(out.toByteArray()));
        ExportItem item = r.readItem(knownNar(NAR));
        assertEquals("(signature \u00ff)", item.signature().orElseThrow());
        assertEquals(HexFormat.of().formatHex(h), item.signedHashHex());
    }

    @Test
    void readerParsesTheVector() throws Exception {
        ByteArrayInputStream in = new ByteArrayInputStream(bundle());
        ExportReader r = new ExportReader(in, WireLimits.DEFAULT, StoreDir.DEFAULT);
        assertTrue(r.nextItem());
        ExportItem item = r.readItem(knownNar(NAR));
        assertEquals(PATH, item.path());
        assertEquals(List.of(EMPTY, HELLO), List.copyOf(item.references()));
        assertEquals("", item.deriver());
        assertTrue(item.signature().isEmpty());
        assertEquals("6953928b64d75be2e15d5a9d5f2b8dfa2712b8df4e4a30420c9767d2e3a02d5d", item.signedHashHex());
        assertFalse(r.nextItem());
        assertEquals(0, in.available(), "reads exactly the bundle, nothing more");
    }

    private static String fail(byte[] data) {
        ExportReader r = new ExportReader(new ByteArrayInputStream(data), WireLimits.DEFAULT, StoreDir.DEFAULT);
        IOException e = assertThrows(IOException.class, () -> {
            while (r.nextItem()) {
                r.readItem(knownNar(NAR));
            }
        });
        return e.getMessage();
    }

    @Test
    void everyTruncationFailsClearly() throws Exception {
        byte[] b = bundle();
        for (int n = 0; n < b.length; n++) {
            String msg = fail(Arrays.copyOf(b, n));
            assertTrue(msg.contains("end-of-file") || msg.equals("NAR differs"), n + ": " + msg);
        }
    }

    @Test
    void badMarker() throws Exception {
        byte[] b = bundle();
        b[0] = 2;
        assertEquals("input doesn't look like something created by `nix-store --export'", fail(b));
    }

    @Test
    void badMagic() throws Exception {
        byte[] b = bundle();
        b[8 + 232] ^= 1;
        assertEquals("normalized archive cannot be imported; wrong format", fail(b));
    }

    @Test
    void hugeLengthPrefixIsRejectedBeforeAllocation() throws Exception {
        byte[] b = bundle();
        int pathLength = 8 + 232 + 8;
        b[pathLength + 4] = 1; // 2^32 + 52: not a 32-bit int
        assertEquals("implementation cannot deal with > 32-bit integers", fail(b));
        b = bundle();
        b[pathLength + 3] = 0x7f; // ~2 GiB path
        assertTrue(fail(b).contains("above the limit"));
        b = bundle();
        int refCount = pathLength + 8 + 56;
        b[refCount + 3] = 0x7f; // ~2 G references
        assertTrue(fail(b).contains("above the limit"));
    }

    @Test
    void pathsMustBeInTheStore() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExportWriter.writeMarker(out, true);
        ExportWriter.writeItem(out, o -> o.write(NAR), "/tmp/evil", List.of(), "", null);
        ExportWriter.writeMarker(out, false);
        ExportReader r = new ExportReader(new ByteArrayInputStream(out.toByteArray()), WireLimits.DEFAULT, StoreDir.DEFAULT);
        assertTrue(r.nextItem());
        var e = assertThrows(BadStorePathException.class, () -> r.readItem(knownNar(NAR)));
        assertEquals("path `/tmp/evil' is not in the store", e.getMessage());
    }

    @Test
    void signedBundleFromTheRealDaemonHasTheHashItsSignatureNames() throws Exception {
        // The bundle of spec/transcripts/12: exported and signed by upstream guix-daemon.
        byte[] bundle = loomd.protocol.client.TranscriptBundles.importBundle();
        byte[] nar = TestNar.of(TestNar.file("exported contents\n", false));
        ExportReader r = new ExportReader(new ByteArrayInputStream(bundle), WireLimits.DEFAULT, StoreDir.DEFAULT);
        assertTrue(r.nextItem());
        ExportItem item = r.readItem(knownNar(nar));
        assertEquals("/gnu/store/0xdw6qzwyxqxnkwaxi1inffralzjpijk-export-me.txt", item.path());
        String signature = item.signature().orElseThrow();
        assertTrue(signature.contains("(hash sha256 #" + item.signedHashHex().toUpperCase() + "#)"), signature);
        assertFalse(r.nextItem());
        // Writing the same item with the same signature gives back the same bytes.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExportWriter.writeMarker(out, true);
        ExportWriter.writeItem(out, o -> o.write(nar), item.path(), item.references(), item.deriver(), h -> signature);
        ExportWriter.writeMarker(out, false);
        assertArrayEquals(bundle, out.toByteArray());
    }

    @Test
    void roundTripThroughTheRealNarClasses(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("refs.txt"), "see " + HELLO + " and " + EMPTY + "\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExportWriter.writeMarker(out, true);
        ExportWriter.writeItem(out, file, PATH, List.of(HELLO, EMPTY), "", null);
        ExportWriter.writeMarker(out, false);
        assertArrayEquals(bundle(), out.toByteArray());
        ExportReader r = new ExportReader(new ByteArrayInputStream(out.toByteArray()), WireLimits.DEFAULT, StoreDir.DEFAULT);
        assertTrue(r.nextItem());
        loomd.protocol.nar.NarResult[] nar = new loomd.protocol.nar.NarResult[1];
        java.nio.file.Path restored = dir.resolve("restored");
        ExportItem item = r.readItem(in -> {
            nar[0] = new loomd.protocol.nar.NarRestorer().restore(in, restored).nar();
        });
        assertEquals(PATH, item.path());
        assertEquals("c64fce422680f4219ebf32aa37a0887c280604d4157e4178e37e6e6c44b2be52", nar[0].narHash().toBase16());
        assertEquals(232, nar[0].narSize());
        assertEquals(java.nio.file.Files.readString(file), java.nio.file.Files.readString(restored));
        assertFalse(r.nextItem());
    }

    @Test
    void garbageInsteadOfANarIsANarError() throws Exception {
        byte[] b = bundle();
        b[8 + 8] = 'X';
        ExportReader r = new ExportReader(new ByteArrayInputStream(b));
        assertTrue(r.nextItem());
        IOException e = assertThrows(IOException.class, () -> r.readItem(in -> loomd.protocol.nar.NarHasher.hash(in)));
        assertTrue(e.getMessage().contains("archive"), e.getMessage());
    }

    @Test
    void nonZeroPaddingIsRejected() throws Exception {
        byte[] b = bundle();
        int pathPad = 8 + 232 + 8 + 8 + 52;
        b[pathPad] = 1;
        assertEquals("non-zero padding", fail(b));
    }

    /** A NAR of {@code depth} nested directories, written flat (no recursion in the test either). */
    private static byte[] deepNar(int depth) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        loomd.protocol.wire.WireWriter w = new loomd.protocol.wire.WireWriter(out);
        w.writeString("nix-archive-1");
        for (int i = 0; i < depth; i++) {
            for (String t : List.of("(", "type", "directory", "entry", "(", "name", "d", "node")) {
                w.writeString(t);
            }
        }
        for (String t : List.of("(", "type", "regular", "contents", "", ")")) {
            w.writeString(t);
        }
        for (int i = 0; i < depth; i++) {
            w.writeString(")");
            w.writeString(")");
        }
        w.writeString(")");
        w.flush();
        return out.toByteArray();
    }

    @Test
    void deeplyNestedNarInABundleIsAClearErrorAndLeavesNothing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        byte[] nar = deepNar(50_000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExportWriter.writeMarker(out, true);
        ExportWriter.writeItem(out, o -> o.write(nar), PATH, List.of(), "", null);
        ExportWriter.writeMarker(out, false);
        ExportReader r = new ExportReader(new ByteArrayInputStream(out.toByteArray()), WireLimits.DEFAULT, StoreDir.DEFAULT);
        assertTrue(r.nextItem());
        java.nio.file.Path target = dir.resolve("restored");
        IOException e = assertThrows(IOException.class,
                () -> r.readItem(in -> new loomd.protocol.nar.NarRestorer().restore(in, target)));
        assertTrue(e.getMessage().contains("nested deeper than"), e.getMessage());
        assertFalse(java.nio.file.Files.exists(target), "partial tree left behind");
    }
}
