package loomd.protocol.nar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys collected in the first pass are each file's own NAR hash, as a second read would give. */
class FileHashesTest {
    private static final long MIN = 8192;

    @TempDir Path dir;

    private Path tree() throws IOException {
        Path root = Files.createDirectories(dir.resolve("tree"));
        write(root.resolve("big.bin"), 10_001, false);
        write(root.resolve("tool"), 9000, true);
        write(root.resolve("small"), 100, false);
        write(Files.createDirectories(root.resolve("sub")).resolve("exact"), 8192, false);
        write(root.resolve("sub/under"), 8191, false);
        Files.createSymbolicLink(root.resolve("link"), Path.of("big.bin"));
        return root;
    }

    private static void write(Path file, int size, boolean executable) throws IOException {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        Files.write(file, bytes);
        Files.setAttribute(file, "unix:mode", executable ? 0755 : 0644);
    }

    private static void assertKeysOf(Path root, FileHashes keys) throws IOException {
        assertEquals(3, keys.size(), "files of 8192 bytes and more only");
        for (String name : new String[] {"big.bin", "tool", "sub/exact"}) {
            FileHashes.Entry e = keys.get(name).orElseThrow(() -> new AssertionError(name));
            Path file = root.resolve(name);
            assertEquals(NarWriter.hash(file).narHash(), e.hash(), name);
            assertEquals(Files.size(file), e.size());
            assertEquals(Files.isExecutable(file), e.executable());
        }
        assertFalse(keys.get("small").isPresent());
        assertFalse(keys.get("sub/under").isPresent());
    }

    @Test
    void writerKeysEachLargeFileByItsOwnNar() throws IOException {
        Path root = tree();
        FileHashes keys = new FileHashes(MIN);
        NarResult whole = new NarWriter().write(root, OutputStream.nullOutputStream(), keys);
        assertEquals(NarWriter.hash(root), whole, "the tree's NAR is unchanged by collecting keys");
        assertKeysOf(root, keys);
    }

    @Test
    void restorerKeysEachLargeFileAsWritten() throws IOException {
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        new NarWriter().write(tree(), nar);
        Path target = dir.resolve("restored");
        FileHashes keys = new FileHashes(MIN);
        new NarRestorer().restore(new ByteArrayInputStream(nar.toByteArray()), target, NarOptions.DEFAULT, keys);
        assertKeysOf(target, keys);
    }

    @Test
    void flatRestoreKeysTheRootFileNotExecutable() throws IOException {
        Path tool = dir.resolve("tool");
        write(tool, 20_000, true);
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        new NarWriter().write(tool, nar);
        Path target = dir.resolve("flat");
        FileHashes keys = new FileHashes(MIN);
        new NarRestorer().restore(new ByteArrayInputStream(nar.toByteArray()), target,
                NarOptions.DEFAULT.withFlat(true), keys);
        FileHashes.Entry root = keys.get("").orElseThrow();
        assertFalse(root.executable());
        assertFalse(Files.isExecutable(target));
        assertEquals(NarWriter.hash(target).narHash(), root.hash());
    }

    @Test
    void aRootFileIsKeyedByTheItemsNarHash() throws IOException {
        Path file = dir.resolve("file");
        write(file, 9000, false);
        NarResult nar = NarWriter.hash(file);
        assertTrue(FileHashes.ofRootFile(MIN, 9000, false, nar.narHash()).get("").isPresent());
        assertFalse(FileHashes.ofRootFile(MIN, 100, false, nar.narHash()).get("").isPresent());
    }
}
