package loomd.protocol.nar;

import static loomd.protocol.nar.NarTestSupport.hex;
import static loomd.protocol.nar.NarTestSupport.stream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed NAR gives a NarException with a clear message and leaves nothing on disk. */
class NarMalformedTest {
    @TempDir
    Path tmp;
    private int counter;

    /** Asserts that both readers reject {@code nar} with a message containing {@code expected}. */
    private NarException rejects(byte[] nar, String expected) throws Exception {
        NarException hashed = assertThrows(NarException.class, () -> NarHasher.hash(stream(nar)));
        assertTrue(hashed.getMessage().contains(expected), hashed.getMessage());
        Path target = tmp.resolve("t" + counter++);
        NarException restored = assertThrows(NarException.class, () -> new NarRestorer().restore(stream(nar), target));
        assertEquals(hashed.getMessage(), restored.getMessage());
        assertFalse(Files.exists(target), "partial tree left behind at " + target);
        return restored;
    }

    private static byte[] dir(NarBytes entries) {
        return entries.t(")").build();
    }

    @Test
    void truncationAtEveryOffset() throws Exception {
        byte[] nar = hex(NarVectors.DIRECTORY_HEX);
        for (int cut = 0; cut < nar.length; cut++) {
            rejects(Arrays.copyOf(nar, cut), "unexpected end-of-file");
        }
    }

    @Test
    void badHeader() throws Exception {
        rejects(new NarBytes().t("nix-archive-2").file("x").build(), "input doesn't look like a normalized archive");
        rejects(new NarBytes().u64(1L << 40).build(), "above the limit");
    }

    @Test
    void hugeLengthPrefixesFailFast() {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            rejects(NarBytes.archive().t("(", "type", "directory", "entry", "(", "name").u64(1L << 31).raw((byte) 'a').build(),
                    "above the limit of 255");
            rejects(NarBytes.archive().t("(", "type", "symlink", "target").u64(1L << 31).build(), "above the limit of 4095");
            rejects(NarBytes.archive().t("(").u64(0x7fffffffffffffffL).build(), "above the limit");
            rejects(NarBytes.archive().t("(", "type", "regular", "contents").u64(1L << 61).raw((byte) 1, (byte) 2).build(),
                    "unexpected end-of-file");
            rejects(NarBytes.archive().t("(", "type", "regular", "contents").u64(-1L).build(), "out of range");
        });
    }

    @Test
    void badNames() throws Exception {
        for (String name : List.of("", ".", "..", "a/b", "/", "a\0b")) {
            rejects(dir(NarBytes.archive().t("(", "type", "directory").entry(name).file("x").t(")")),
                    "NAR contains invalid file name");
        }
    }

    @Test
    void unsortedAndDuplicateEntries() throws Exception {
        NarBytes unsorted = NarBytes.archive().t("(", "type", "directory")
                .entry("b").file("1").t(")").entry("a").file("2").t(")");
        rejects(dir(unsorted), "NAR directory is not sorted");
        NarBytes duplicate = NarBytes.archive().t("(", "type", "directory")
                .entry("a").file("1").t(")").entry("a").file("2").t(")");
        rejects(dir(duplicate), "NAR directory is not sorted");
        NarBytes caseOrder = NarBytes.archive().t("(", "type", "directory")
                .entry("a").file("1").t(")").entry("Z").file("2").t(")");
        rejects(dir(caseOrder), "NAR directory is not sorted");
    }

    @Test
    void unknownTokens() throws Exception {
        rejects(NarBytes.archive().t("(", "type", "fifo", ")").build(), "unknown file type fifo");
        rejects(NarBytes.archive().t("(", "type", "regular", "mode").build(), "unknown field mode");
        rejects(NarBytes.archive().t("(", "type", "directory", "target").build(), "unknown field target");
        rejects(NarBytes.archive().t("(", "type", "symlink", "contents").build(), "expected `target'");
        rejects(NarBytes.archive().t("[", "type").build(), "expected `('");
        rejects(NarBytes.archive().t("(", "type", "regular", "executable", "yes").build(), "empty value");
        rejects(NarBytes.archive().t("(", "type", "regular", "contents").u64(0).t("type").build(), "expected `)'");
        rejects(NarBytes.archive().t("(", "type", "symlink", "target", "", ")").build(), "symlink target is empty");
    }

    @Test
    void badPadding() throws Exception {
        byte[] nar = hex(NarVectors.HELLO_HEX);
        for (int offset : new int[] {0x15, 0x47, 0x66}) { // after "nix-archive-1", "regular", the contents
            byte[] bad = nar.clone();
            bad[offset] = 1;
            rejects(bad, "non-zero padding");
        }
    }

    @Test
    void deepNestingIsBoundedWithoutStackOverflow() throws Exception {
        byte[] deep = nested(100_000);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            rejects(deep, "nested deeper than 1024 levels");
            NarOptions generous = NarOptions.DEFAULT.withLimits(NarLimits.DEFAULT.withMaxDepth(200_000));
            NarSummary summary = NarHasher.parse(stream(deep), generous);
            assertEquals(deep.length, summary.nar().narSize());
        });
    }

    @Test
    void nonUtf8NamesAreHashedButNotRestored() throws Exception {
        byte[] name = {'a', (byte) 0xff};
        byte[] nar = NarBytes.archive().t("(", "type", "directory", "entry", "(", "name").bytes(name).t("node")
                .file("x").t(")", ")").build();
        assertEquals(nar.length, NarHasher.hash(stream(nar)).narSize());
        Path target = tmp.resolve("utf8");
        NarException e = assertThrows(NarException.class, () -> new NarRestorer().restore(stream(nar), target));
        assertTrue(e.getMessage().contains("not valid UTF-8"));
        assertFalse(Files.exists(target));
    }

    @Test
    void symlinkTargetsWithRedundantSlashesAreRestoredExactly() throws Exception {
        byte[] nar = NarBytes.archive().t("(", "type", "directory").entry("a").file("x").t(")")
                .entry("b").t("(", "type", "symlink", "target", "x//y/", ")", ")", ")").build();
        Path target = tmp.resolve("links");
        // ln(1) stands in for the daemon's symlink(2) creator: this module calls no native code.
        NarSummary summary = new NarRestorer(NarMalformedTest::lnSymlink).restore(stream(nar), target);
        assertEquals(nar.length, summary.nar().narSize());
        // lstat's size of a symlink is its exact target length; the JDK would have stored "x/y".
        assertEquals(5L, Files.readAttributes(target.resolve("b"), java.nio.file.attribute.BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS).size());
        assertArrayEquals(nar, NarTestSupport.narOf(target), "and it serialises back byte for byte");
    }

    private static void lnSymlink(Path link, String target) throws java.io.IOException {
        try {
            Process ln = new ProcessBuilder("ln", "-s", "--", target, link.toString()).inheritIO().start();
            if (ln.waitFor() != 0) {
                throw new java.io.IOException("ln -s " + target + " " + link + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
    }

    @Test
    void theJdkSymlinkCreatorRefusesUnfaithfulTargetsAndCleansUp() throws Exception {
        byte[] nar = NarBytes.archive().t("(", "type", "directory").entry("a").file("x").t(")")
                .entry("b").t("(", "type", "symlink", "target", "x//y/", ")", ")", ")").build();
        assertEquals(nar.length, NarHasher.hash(stream(nar)).narSize());
        Path target = tmp.resolve("links");
        Exception e = assertThrows(java.io.IOException.class,
                () -> new NarRestorer(SymlinkCreator.JDK).restore(stream(nar), target));
        assertTrue(e.getMessage().contains("cannot be created exactly"), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void existingTargetIsRefusedAndUntouched() throws Exception {
        Path target = Files.writeString(tmp.resolve("exists"), "keep");
        assertThrows(FileAlreadyExistsException.class,
                () -> new NarRestorer().restore(stream(hex(NarVectors.HELLO_HEX)), target));
        assertEquals("keep", Files.readString(target));
    }

    @Test
    void entryLimitApplies() throws Exception {
        NarOptions few = NarOptions.DEFAULT.withLimits(new NarLimits(10, 255, 4095, 1 << 20, 2));
        byte[] nar = hex(NarVectors.DIRECTORY_HEX);
        NarException e = assertThrows(NarException.class, () -> NarHasher.parse(stream(nar), few));
        assertTrue(e.getMessage().contains("more than 2 entries"));
        NarOptions smallFiles = NarOptions.DEFAULT.withLimits(new NarLimits(10, 255, 4095, 5, 100));
        e = assertThrows(NarException.class, () -> NarHasher.parse(stream(nar), smallFiles));
        assertTrue(e.getMessage().contains("above the limit of 5"));
    }

    /** A valid NAR of {@code depth} nested directories named "d" around one empty file. */
    static byte[] nested(int depth) {
        byte[] open = new NarBytes().t("(", "type", "directory").entry("d").build();
        byte[] close = new NarBytes().t(")", ")").build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(NarBytes.archive().build());
        for (int i = 0; i < depth; i++) {
            out.writeBytes(open);
        }
        out.writeBytes(new NarBytes().file("").build());
        for (int i = 0; i < depth; i++) {
            out.writeBytes(close);
        }
        return out.toByteArray();
    }

    @Test
    void nestedHelperIsValid() throws Exception {
        byte[] nar = nested(3);
        Path target = tmp.resolve("nested");
        new NarRestorer().restore(stream(nar), target);
        assertTrue(Files.isRegularFile(target.resolve("d/d/d")));
        assertEquals(new String(nar, StandardCharsets.ISO_8859_1),
                new String(NarTestSupport.narOf(target), StandardCharsets.ISO_8859_1));
    }
}
