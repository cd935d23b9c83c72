package loomd.daemon.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.Settings.LogCompression;

/** daemon.md §1.5: where the log goes, how it is compressed, what the trace calls it. */
class BuildLogTest {
    static final String DRV = "xxjcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv";

    @TempDir
    Path dir;

    private static byte[] written(BuildLog log, byte[] data) throws Exception {
        try (log) {
            for (int off = 0; off < data.length; off += 4096) {
                log.write(data, off, Math.min(4096, data.length - off));
            }
        }
        return data;
    }

    private static byte[] sample() {
        return "out-line-1\nerr-line-1\n".repeat(5000).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void gzipIsTheDefaultLayoutWithUpstreamsDoubleSlashInTheTraceName() throws Exception {
        Path logDir = dir.resolve("log");
        BuildLog log = BuildLog.open(logDir, DRV, LogCompression.GZIP);
        byte[] data = written(log, sample());
        assertEquals(logDir.resolve("drvs/xx/jcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv.gz"), log.file());
        assertEquals(logDir + "/drvs/xx//jcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv.gz", log.traceName());
        try (InputStream in = new GZIPInputStream(Files.newInputStream(log.file()))) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertTrue(Files.size(log.file()) < data.length / 20, "compressed");
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(log.file())));
    }

    @Test
    void bzip2AndNone() throws Exception {
        BuildLog bz = BuildLog.open(dir, DRV, LogCompression.BZIP2);
        byte[] data = written(bz, sample());
        assertTrue(bz.file().toString().endsWith("/drvs/xx/jcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv.bz2"));
        try (InputStream in = new BZip2CompressorInputStream(Files.newInputStream(bz.file()))) {
            assertArrayEquals(data, in.readAllBytes());
        }
        BuildLog plain = BuildLog.open(dir, DRV, LogCompression.NONE);
        written(plain, data);
        assertTrue(plain.file().toString().endsWith("/drvs/xx/jcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv"));
        assertArrayEquals(data, Files.readAllBytes(plain.file()));
    }

    @Test
    void eachRoundTruncatesTheSameFile() throws Exception {
        written(BuildLog.open(dir, DRV, LogCompression.NONE), "first round, longer\n".getBytes(StandardCharsets.UTF_8));
        BuildLog second = BuildLog.open(dir, DRV, LogCompression.NONE);
        written(second, "second\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("second\n", Files.readString(second.file()));
    }

    @Test
    void lostLogsHaveNoFileAndAnEmptyTraceName() throws Exception {
        BuildLog none = BuildLog.none();
        written(none, sample());
        assertEquals("", none.traceName());
        assertFalse(none.isKept());
        assertThrows(IllegalStateException.class, none::file);
    }

    @Test
    void aNameThatIsNotABaseNameIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> BuildLog.open(dir, "a/b.drv", LogCompression.GZIP));
    }
}
