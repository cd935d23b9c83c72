package loomd.protocol.nar;

import static loomd.protocol.nar.NarTestSupport.file;
import static loomd.protocol.nar.NarTestSupport.hex;
import static loomd.protocol.nar.NarTestSupport.narOf;
import static loomd.protocol.nar.NarTestSupport.stream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import loomd.protocol.hash.HashAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** test-vectors.md §1 (and the NAR-derived hashes of §3), both directions, byte for byte. */
class NarVectorsTest {
    @TempDir
    Path tmp;

    private void checkVector(Path source, String hexBytes, String sha256, String nix32, NarNodeType type) throws Exception {
        byte[] expected = hex(hexBytes);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarResult written = new NarWriter().write(source, out);
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(out.toByteArray()));
        assertEquals(sha256, written.narHash().toBase16());
        assertEquals(nix32, written.narHash().toNixBase32());
        assertEquals(expected.length, written.narSize());
        assertEquals(written, NarWriter.hash(source));

        NarSummary parsed = NarHasher.parse(stream(expected), NarOptions.DEFAULT);
        assertEquals(written, parsed.nar());
        assertEquals(type, parsed.rootType());

        Path restored = tmp.resolve("restored-" + source.getFileName());
        NarSummary summary = new NarRestorer().restore(stream(expected), restored);
        assertEquals(written, summary.nar());
        assertArrayEquals(expected, narOf(restored));
    }

    @Test
    void emptyFile() throws Exception {
        checkVector(file(tmp.resolve("empty"), "", false), NarVectors.EMPTY_HEX, NarVectors.EMPTY_SHA256,
                NarVectors.EMPTY_NIX32, NarNodeType.REGULAR);
    }

    @Test
    void helloFile() throws Exception {
        checkVector(file(tmp.resolve("hello"), "hello\n", false), NarVectors.HELLO_HEX, NarVectors.HELLO_SHA256,
                NarVectors.HELLO_NIX32, NarNodeType.REGULAR);
    }

    @Test
    void executableFile() throws Exception {
        checkVector(file(tmp.resolve("exec.sh"), "#!/bin/sh\necho hi\n", true), NarVectors.EXEC_HEX,
                NarVectors.EXEC_SHA256, NarVectors.EXEC_NIX32, NarNodeType.REGULAR);
        assertTrue(Files.isExecutable(tmp.resolve("restored-exec.sh")));
        assertTrue(NarHasher.parse(stream(hex(NarVectors.EXEC_HEX)), NarOptions.DEFAULT).rootExecutable());
    }

    @Test
    void symlink() throws Exception {
        Path link = Files.createSymbolicLink(tmp.resolve("link"), Path.of("hello"));
        checkVector(link, NarVectors.SYMLINK_HEX, NarVectors.SYMLINK_SHA256, NarVectors.SYMLINK_NIX32, NarNodeType.SYMLINK);
        assertEquals(Path.of("hello"), Files.readSymbolicLink(tmp.resolve("restored-link")));
    }

    @Test
    void directorySortsByBytes() throws Exception {
        checkVector(NarTestSupport.vectorDirectory(tmp.resolve("dir")), NarVectors.DIRECTORY_HEX,
                NarVectors.DIRECTORY_SHA256, NarVectors.DIRECTORY_NIX32, NarNodeType.DIRECTORY);
        assertEquals(Path.of("README"), Files.readSymbolicLink(tmp.resolve("restored-dir/a")));
        assertEquals("hello\n", Files.readString(tmp.resolve("restored-dir/README")));
    }

    @Test
    void narHashesUsedForFixedOutputPaths() throws Exception {
        NarSummary tree = NarHasher.parse(stream(hex(NarVectors.DIRECTORY_HEX)),
                NarOptions.DEFAULT.withExtraNarAlgorithm(HashAlgorithm.SHA1));
        assertEquals("7a0fc9f1bc6148f0d699ca5094e7ffb36567cc64", tree.extraNarHash().orElseThrow().toBase16());
        NarSummary hello = NarHasher.parse(stream(hex(NarVectors.HELLO_HEX)),
                NarOptions.DEFAULT.withExtraNarAlgorithm(HashAlgorithm.SHA512).withContentsAlgorithm(HashAlgorithm.MD5));
        assertEquals("098d9d63b290cc8dff5705019ac0b61fa6ed0b0b1a3d732ef91958c3e5b2d17e8b02b5ed8b01c0526e0e16708adcca96bbf1a906a105927ded24a2236e2a80b0",
                hello.extraNarHash().orElseThrow().toBase16());
        assertEquals("b1946ac92492d2347c6235b4d2611184", hello.contentsHash().orElseThrow().toBase16());
    }

    @Test
    void refsTxtNarMatchesRegisteredMetadata() throws Exception {
        Path refs = file(tmp.resolve("refs.txt"), "see /gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt and "
                + "/gnu/store/1hsw4vkd7sfw6bda2808j3pnc2w3avx4-empty.txt\n", false);
        NarResult nar = NarWriter.hash(refs);
        assertEquals(232, nar.narSize());
        assertEquals("sha256:c64fce422680f4219ebf32aa37a0887c280604d4157e4178e37e6e6c44b2be52", nar.narHash().toTypedString());
        assertEquals("0lmyn926qvkywdw42zhmsh20ca3wi2h3gaijpyg23x404r1cwky6", nar.narHash().toNixBase32());
    }

    @Test
    void hasherStopsExactlyAtTheEndOfAnInlineNar() throws Exception {
        byte[] nar = hex(NarVectors.DIRECTORY_HEX);
        byte[] trailer = {1, 0, 0, 0, 0, 0, 0, 0, 42};
        byte[] wire = new byte[nar.length + trailer.length];
        System.arraycopy(nar, 0, wire, 0, nar.length);
        System.arraycopy(trailer, 0, wire, nar.length, trailer.length);
        ByteArrayInputStream in = new ByteArrayInputStream(wire);
        ByteArrayOutputStream tee = new ByteArrayOutputStream();
        NarResult result = NarHasher.hash(in, tee);
        assertEquals(nar.length, result.narSize());
        assertArrayEquals(nar, tee.toByteArray());
        assertArrayEquals(trailer, in.readAllBytes());
    }

    @Test
    void flatRestoreOfARegularFile() throws Exception {
        Path target = tmp.resolve("flat");
        NarSummary summary = new NarRestorer().restore(stream(hex(NarVectors.EXEC_HEX)), target,
                NarOptions.DEFAULT.withFlat(true).withContentsAlgorithm(HashAlgorithm.SHA256));
        assertTrue(summary.isSingleRegularFile());
        assertTrue(summary.rootExecutable());
        assertFalse(Files.isExecutable(target), "flat files are never executable");
        assertEquals("#!/bin/sh\necho hi\n", Files.readString(target));
        assertEquals(Optional.of(HashAlgorithm.SHA256), summary.contentsHash().map(h -> h.algorithm()));
    }

    @Test
    void flatRestoreOfADirectoryWritesNothingButConsumesTheNar() throws Exception {
        Path target = tmp.resolve("flat-dir");
        byte[] nar = hex(NarVectors.DIRECTORY_HEX);
        ByteArrayInputStream in = new ByteArrayInputStream(nar);
        NarSummary summary = new NarRestorer().restore(in, target, NarOptions.DEFAULT.withFlat(true)
                .withContentsAlgorithm(HashAlgorithm.SHA256));
        assertFalse(summary.isSingleRegularFile());
        assertEquals(NarNodeType.DIRECTORY, summary.rootType());
        assertTrue(summary.contentsHash().isEmpty());
        assertFalse(Files.exists(target));
        assertEquals(0, in.available());
        assertEquals(nar.length, summary.nar().narSize());
    }
}
