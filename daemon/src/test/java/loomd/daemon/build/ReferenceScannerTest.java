package loomd.daemon.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.nar.NarWriter;

/** daemon.md §4.12.1: hash parts found anywhere in the NAR stream, across write boundaries. */
class ReferenceScannerTest {
    static final String A = "/gnu/store/8rf4p72mqhs27mbwlb2j98h6g2l15hgj-busybox";
    static final String B = "/gnu/store/56dymnhgq4a9z00cipb5bdpmpwjhgx2b-build-simple";
    static final String C = "/gnu/store/xxjcyhvp3022y7gcad64az5b1k6smlkz-unused";
    static final List<String> CANDIDATES = List.of(A, B, C);

    @TempDir
    Path dir;

    @Test
    void aHashSplitAtEveryPossiblePointIsFound() {
        byte[] text = ("\0\0binary\u00ff" + B + "/bin/x and more").getBytes(StandardCharsets.ISO_8859_1);
        int at = 9 + "/gnu/store/".length();
        for (int cut = at - 2; cut <= at + 33; cut++) {
            var scanner = new ReferenceScanner(CANDIDATES);
            scanner.write(text, 0, cut);
            scanner.write(text, cut, text.length - cut);
            assertEquals(Set.of(B), scanner.references(), "cut at " + cut);
        }
    }

    @Test
    void aHashFedOneByteAtATimeIsFound() throws Exception {
        byte[] text = ("xx" + A.substring(11, 43) + "yy").getBytes(StandardCharsets.US_ASCII);
        var scanner = new ReferenceScanner(CANDIDATES);
        for (byte b : text) {
            scanner.write(b);
        }
        assertEquals(Set.of(A), scanner.references());
    }

    @Test
    void aHashAcrossA4096ByteBoundaryIsFound() {
        byte[] data = new byte[8192];
        Arrays.fill(data, (byte) 'e'); // in the alphabet: the skip rule gets no help
        byte[] hash = A.substring(11, 43).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(hash, 0, data, 4096 - 13, hash.length);
        var scanner = new ReferenceScanner(CANDIDATES);
        scanner.write(data, 0, 4096);
        scanner.write(data, 4096, 4096);
        assertEquals(Set.of(A), scanner.references());
    }

    @Test
    void aNearMissIsNotAReference() {
        String almost = A.substring(11, 42) + "-";
        var scanner = new ReferenceScanner(CANDIDATES);
        byte[] text = ("/gnu/store/" + almost + " " + A.substring(12, 43).toUpperCase()).getBytes(StandardCharsets.US_ASCII);
        scanner.write(text, 0, text.length);
        assertEquals(Set.of(), scanner.references());
    }

    @Test
    void scanningAnOutputFindsReferencesInContentsSymlinkTargetsAndNamesWithTheNarHashOfOnePass() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        // Across NarWriter's 1 MiB flush: a regular file's contents start at NAR offset 96 + header of the entry.
        byte[] big = new byte[(1 << 20) + 4096];
        Arrays.fill(big, (byte) 0);
        byte[] hash = A.substring(11, 43).getBytes(StandardCharsets.US_ASCII);
        Path file = out.resolve("big");
        Files.write(file, big);
        Files.createSymbolicLink(out.resolve("link"), Path.of(B + "/lib"));
        Files.createDirectories(out.resolve(C.substring(11)));
        var only = ReferenceScanner.scan(out, CANDIDATES);
        assertEquals(Set.of(B, C), only.references(), "a symlink target and a file name");
        assertEquals(NarWriter.hash(out), only.nar());

        Path single = dir.resolve("single");
        int offsetInFile = (1 << 20) - 96 - 10; // the file's byte k is NAR byte 96 + k
        System.arraycopy(hash, 0, big, offsetInFile, hash.length);
        Files.write(single, big);
        var split = ReferenceScanner.scan(single, CANDIDATES);
        assertEquals(Set.of(A), split.references(), "a hash across the writer's 1 MiB flush");
        assertEquals(NarWriter.hash(single), split.nar());
    }

    @Test
    void selfReferencesAreKept() throws Exception {
        Path out = Files.writeString(dir.resolve("self"), "I am " + B + "\n");
        assertEquals(Set.of(B), ReferenceScanner.scan(out, CANDIDATES).references());
    }

    @Test
    void candidatesNeedAThirtyTwoCharacterHashPart() {
        assertThrows(IllegalArgumentException.class, () -> new ReferenceScanner(List.of("/gnu/store/short-x")));
    }
}
