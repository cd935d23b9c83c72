package loomd.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NewFilesTest {
    @TempDir
    Path dir;

    private static Map<String, Object> stat(Path p) throws Exception {
        return Files.readAttributes(p, "unix:mode,lastModifiedTime,lastAccessTime", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void createsTheFileWithItsDataModeAndModificationTimeThroughOneDescriptor() throws Exception {
        Path file = dir.resolve("item.txt");
        byte[] data = "some text\n".getBytes(StandardCharsets.UTF_8);

        NewFiles.create(file.toString(), data, 0555, 1);

        assertArrayEquals(data, Files.readAllBytes(file));
        Map<String, Object> st = stat(file);
        assertEquals(0100555, (int) st.get("mode"), "a regular file with exactly the mode asked for");
        assertEquals(FileTime.fromMillis(1000), st.get("lastModifiedTime"));
        // The access time is left alone (UTIME_OMIT), not set to the modification time.
        assertEquals(false, FileTime.fromMillis(1000).equals(st.get("lastAccessTime")), st.toString());
    }

    @Test
    void anEmptyFileIsCreatedToo() throws Exception {
        Path file = dir.resolve("empty");
        NewFiles.create(file.toString(), new byte[0], 0444, 1);
        assertEquals(0, Files.size(file));
        assertEquals(0100444, (int) stat(file).get("mode"));
    }

    @Test
    void refusesWhateverIsAlreadyThereAndNeverWritesThroughALink() throws Exception {
        Path existing = Files.writeString(dir.resolve("old"), "old");
        PosixException e = assertThrows(PosixException.class,
                () -> NewFiles.create(existing.toString(), new byte[] {1}, 0444, 1));
        assertEquals(Errno.EEXIST, e.errno());
        assertEquals("old", Files.readString(existing));

        Path target = dir.resolve("target");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        e = assertThrows(PosixException.class, () -> NewFiles.create(link.toString(), new byte[] {1}, 0444, 1));
        assertEquals(Errno.EEXIST, e.errno());
        assertEquals(false, Files.exists(target, LinkOption.NOFOLLOW_LINKS), "nothing created behind the link");
    }
}
