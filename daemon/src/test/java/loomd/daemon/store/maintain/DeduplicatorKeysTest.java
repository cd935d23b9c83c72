package loomd.daemon.store.maintain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;

import loomd.protocol.nar.FileHashes;
import loomd.protocol.nar.NarOptions;
import loomd.protocol.nar.NarRestorer;
import loomd.protocol.nar.NarWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deduplicator takes a first-pass key as it is when it fits the file, and reads the file otherwise. */
class DeduplicatorKeysTest {
    @TempDir Path dir;

    private Path store() throws IOException {
        Path store = Files.createDirectories(dir.resolve("store"));
        Files.createDirectories(store.resolve(".links"));
        return store;
    }

    private static byte[] bytes(int size, int seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Restores a one-file tree {@code item/f} holding {@code contents}, collecting its key. */
    private static FileHashes restore(Path item, byte[] contents, Path scratch) throws IOException {
        Path src = Files.createDirectories(scratch);
        Files.write(src.resolve("f"), contents);
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        new NarWriter().write(src, nar);
        FileHashes keys = new FileHashes(Deduplicator.MIN_SIZE);
        new NarRestorer().restore(new ByteArrayInputStream(nar.toByteArray()), item, NarOptions.DEFAULT, keys);
        Files.setAttribute(item.resolve("f"), "unix:mode", 0444);
        return keys;
    }

    /**
     * The file's contents change (same size) after the restore: it is linked under the key of what
     * was restored, which only a deduplicator that does not read the file again can do.
     */
    @Test
    void aFittingKeyIsTakenWithoutReadingTheFile() throws IOException {
        Path store = store();
        Path item = store.resolve("item");
        byte[] restored = bytes(9000, 1);
        FileHashes keys = restore(item, restored, dir.resolve("src"));
        String restoredKey = keys.get("f").orElseThrow().hash().toNixBase32();
        Path f = item.resolve("f");
        Files.setAttribute(f, "unix:mode", 0644);
        Files.write(f, bytes(9000, 2));
        Files.setAttribute(f, "unix:mode", 0444);

        Deduplicator dedup = new Deduplicator(store);
        dedup.optimise(item, keys, new Deduplicator.Stats(), new HashSet<>(), (level, text) -> { });
        assertTrue(Files.exists(store.resolve(".links").resolve(restoredKey), LinkOption.NOFOLLOW_LINKS));
        assertEquals(0, dedup.filesHashed());
    }

    /** A key computed for another size or executable bit is not trusted: the file is read and keyed right. */
    @Test
    void aKeyThatDoesNotFitTheFileIsRecomputed() throws IOException {
        Path store = store();
        Path item = store.resolve("item");
        FileHashes keys = restore(item, bytes(9000, 1), dir.resolve("src"));
        Path f = item.resolve("f");
        Files.setAttribute(f, "unix:mode", 0555);

        Deduplicator dedup = new Deduplicator(store);
        dedup.optimise(item, keys, new Deduplicator.Stats(), new HashSet<>(), (level, text) -> { });
        String actual = NarWriter.hash(f).narHash().toNixBase32();
        assertTrue(Files.exists(store.resolve(".links").resolve(actual), LinkOption.NOFOLLOW_LINKS));
        assertEquals(1, dedup.filesHashed());
    }
}
