package loomd.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A helper binary that someone still holds open for writing cannot be executed (ETXTBSY): the
 * daemon extracts one helper while a child forked for the other briefly holds a copy of that
 * descriptor. {@link HelperBinary#start} waits the window out.
 */
class HelperBinaryTest {
    @TempDir Path dir;

    private Path executableCopyOfTrue() throws IOException {
        Path binary = dir.resolve("true-copy");
        Files.copy(Path.of("/bin/true"), binary);
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
        return binary;
    }

    @Test
    void aBinaryOpenForWritingIsStartedOnceTheWriterClosesIt() throws Exception {
        Path binary = executableCopyOfTrue();
        FileOutputStream writer = new FileOutputStream(binary.toFile(), true);
        IOException busy = assertThrows(IOException.class, () -> new ProcessBuilder(binary.toString()).start());
        assertTrue(HelperBinary.textFileBusy(busy), busy.getMessage());
        Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(200);
                writer.close();
            } catch (InterruptedException | IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Process p = HelperBinary.start(new ProcessBuilder(binary.toString()));
        assertEquals(0, p.waitFor());
    }

    @Test
    void otherStartFailuresAreNotRetried() {
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> HelperBinary.start(new ProcessBuilder(dir.resolve("missing").toString())));
        assertTrue(!HelperBinary.textFileBusy(e), e.getMessage());
        assertTrue(System.nanoTime() - start < 1_000_000_000L, "failed at once");
    }
}
