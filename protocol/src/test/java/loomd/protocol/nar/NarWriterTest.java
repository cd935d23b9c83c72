package loomd.protocol.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NarWriterTest {
    @TempDir
    Path tmp;

    @Test
    void deepTreesPastTheOpenDirectoryCapRoundTrip() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("deep"));
        Path dir = root;
        for (int i = 0; i < 100; i++) {
            NarTestSupport.file(dir.resolve("f"), "level " + i, i % 2 == 0);
            dir = Files.createDirectory(dir.resolve("d"));
        }
        byte[] nar = NarTestSupport.narOf(root);
        assertEquals(NarWriter.hash(root), NarHasher.hash(NarTestSupport.stream(nar)));
        Path restored = tmp.resolve("restored");
        new NarRestorer().restore(NarTestSupport.stream(nar), restored);
        assertArrayEquals(nar, NarTestSupport.narOf(restored));
    }

    @Test
    void depthLimitApplies() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("a/b/c/d"));
        IOException e = assertThrows(IOException.class,
                () -> new NarWriter(NarLimits.DEFAULT.withMaxDepth(2)).write(tmp.resolve("a"), OutputStream.nullOutputStream()));
        assertTrue(e.getMessage().contains("nested deeper than 2 levels"), e.getMessage());
        assertTrue(Files.isDirectory(root));
    }

    @Test
    void unsupportedFileTypesAreRefused() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("withfifo"));
        Path fifo = dir.resolve("pipe");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        IOException e = assertThrows(IOException.class, () -> NarWriter.hash(dir));
        assertEquals("file `" + fifo + "' has an unsupported type", e.getMessage());
    }

    @Test
    void rootSymlinkIsNotFollowed() throws Exception {
        Path target = Files.createDirectory(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        NarSummary summary = NarHasher.parse(NarTestSupport.stream(NarTestSupport.narOf(link)), NarOptions.DEFAULT);
        assertEquals(NarNodeType.SYMLINK, summary.rootType());
    }

    @Test
    void symlinkTargetsAreWrittenExactlyOrRefused() throws Exception {
        // The shell makes the links: Java cannot name a target with "//" or bytes that are not UTF-8.
        Path dir = Files.createDirectory(tmp.resolve("links"));
        Process sh = new ProcessBuilder("sh", "-c", "ln -s 'a//b/' exact && ln -s \"$(printf 'x\\377')\" bad")
                .directory(dir.toFile()).inheritIO().start();
        assertEquals(0, sh.waitFor());
        byte[] exact = NarTestSupport.narOf(dir.resolve("exact"));
        assertTrue(new String(exact, java.nio.charset.StandardCharsets.ISO_8859_1).contains("a//b/"));
        IOException e = assertThrows(IOException.class, () -> NarWriter.hash(dir.resolve("bad")));
        assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
    }
}
