package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import loomd.protocol.nar.NarWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store restores symlink targets byte for byte, which the JDK alone cannot. */
class NarCodecTest {
    @TempDir Path tmp;

    @Test
    void symlinkTargetsWithRedundantSlashesAreRestoredExactly() throws Exception {
        // The shell makes the link: Java cannot name a target with "//" or a trailing "/".
        Path source = Files.createDirectory(tmp.resolve("source"));
        Files.writeString(source.resolve("a"), "x");
        Process sh = new ProcessBuilder("ln", "-s", "x//y/", "b").directory(source.toFile()).inheritIO().start();
        assertEquals(0, sh.waitFor());
        byte[] nar = narOf(source);
        assertTrue(new String(nar, StandardCharsets.ISO_8859_1).contains("x//y/"));

        Path target = tmp.resolve("links");
        NarCodec.Restored restored = new NarCodec().restore(new ByteArrayInputStream(nar), target);
        assertEquals(nar.length, restored.narSize());
        // lstat's size of a symlink is its exact target length; the JDK would have stored "x/y".
        assertEquals(5L, Files.readAttributes(target.resolve("b"), BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).size());
        assertArrayEquals(nar, narOf(target), "and it serialises back byte for byte");
    }

    private static byte[] narOf(Path root) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new NarWriter().write(root, out);
        return out.toByteArray();
    }
}
