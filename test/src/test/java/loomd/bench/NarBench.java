package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import loomd.protocol.nar.NarResult;
import loomd.protocol.nar.NarWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * NAR serialisation + SHA-256 ({@link NarWriter} to a null sink) against plain
 * {@link MessageDigest} SHA-256 over the same files' bytes, on a ~1 GiB tree under /tmp: 24,000
 * small files (1 byte .. 16 KiB) in 240 directories plus 8 large files of ~100 MiB. Both sides
 * read through the page cache (one warm-up pass each, then alternating timed passes, best and
 * median reported). Goal: NAR+hash at least 80 % of the raw rate. The assertion compares the
 * best passes: on this shared 2-core machine other builds inflate random passes, and the
 * fastest pass is the least disturbed estimate of each side's cost.
 */
@Tag("bench")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NarBench {
    private static final int PASSES = 7;
    private Path root;
    private final List<Path> files = new ArrayList<>();
    private long contentBytes;

    @BeforeAll
    void buildTree() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "narbench-");
        Random random = new Random(1);
        byte[] block = new byte[1 << 20];
        random.nextBytes(block);
        for (int d = 0; d < 240; d++) {
            Path dir = Files.createDirectories(root.resolve("small/d" + d));
            for (int f = 0; f < 100; f++) {
                int size = 1 + random.nextInt(16 << 10);
                Path file = dir.resolve("file-" + f + (f % 7 == 0 ? ".sh" : ".txt"));
                Files.write(file, slice(block, random.nextInt(block.length - size), size));
                if (f % 7 == 0) {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
                if (f % 25 == 0) {
                    Files.createSymbolicLink(dir.resolve("link-" + f), Path.of(file.getFileName().toString()));
                }
                files.add(file);
                contentBytes += size;
            }
        }
        Path large = Files.createDirectories(root.resolve("large"));
        for (int i = 0; i < 8; i++) {
            Path file = large.resolve("blob-" + i);
            long size = (100L << 20) + random.nextInt(1 << 20);
            try (OutputStream out = Files.newOutputStream(file)) {
                for (long left = size; left > 0; left -= Math.min(left, block.length)) {
                    block[random.nextInt(block.length)] ^= 1;
                    out.write(block, 0, (int) Math.min(left, block.length));
                }
            }
            files.add(file);
            contentBytes += size;
        }
        files.sort(null);
    }

    private static byte[] slice(byte[] block, int from, int size) {
        return Arrays.copyOfRange(block, from, from + size);
    }

    @AfterAll
    void deleteTree() throws IOException {
        if (root == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void narHashingKeepsUpWithRawSha256() throws Exception {
        long narSize = narPass().narSize();
        rawPass();
        long[] nar = new long[PASSES];
        long[] raw = new long[PASSES];
        for (int i = 0; i < PASSES; i++) {
            long t0 = System.nanoTime();
            assertEquals(narSize, narPass().narSize());
            long t1 = System.nanoTime();
            rawPass();
            long t2 = System.nanoTime();
            nar[i] = t1 - t0;
            raw[i] = t2 - t1;
        }
        Arrays.sort(nar);
        Arrays.sort(raw);
        double narBest = mbPerSecond(nar[0]);
        double rawBest = mbPerSecond(raw[0]);
        double narMedian = mbPerSecond(nar[PASSES / 2]);
        double rawMedian = mbPerSecond(raw[PASSES / 2]);
        String report = String.format(
                "NarBench: %d files, %.1f MiB of contents, NAR %.1f MiB%n"
                        + "  NarWriter+sha256 -> null sink: best %.0f MB/s, median %.0f MB/s%n"
                        + "  raw FileChannel+sha256:        best %.0f MB/s, median %.0f MB/s%n"
                        + "  ratio (median): %.2f, (best): %.2f%n",
                files.size(), contentBytes / 1048576.0, narSize / 1048576.0, narBest, narMedian, rawBest, rawMedian,
                narMedian / rawMedian, narBest / rawBest);
        report += breakdown("small") + breakdown("large");
        System.out.print(report);
        System.err.print(report);
        assertTrue(narBest >= 0.8 * rawBest, report);
    }

    /** Best-of-3 rates for one subtree alone, to show where any gap comes from. */
    private String breakdown(String subtree) throws Exception {
        Path sub = root.resolve(subtree);
        List<Path> subFiles = files.stream().filter(f -> f.startsWith(sub)).toList();
        long bytes = 0;
        for (Path f : subFiles) {
            bytes += Files.size(f);
        }
        long narBest = Long.MAX_VALUE;
        long rawBest = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            new NarWriter().write(sub, OutputStream.nullOutputStream());
            long t1 = System.nanoTime();
            rawPass(subFiles);
            long t2 = System.nanoTime();
            narBest = Math.min(narBest, t1 - t0);
            rawBest = Math.min(rawBest, t2 - t1);
        }
        return String.format("  %s only (%d files, %.0f MiB): NAR %.0f MB/s, raw %.0f MB/s, ratio %.2f%n", subtree,
                subFiles.size(), bytes / 1048576.0, bytes * 1e3 / narBest, bytes * 1e3 / rawBest,
                (double) rawBest / narBest);
    }

    private double mbPerSecond(long nanos) {
        return contentBytes / 1e6 / (nanos / 1e9);
    }

    private NarResult narPass() throws IOException {
        return new NarWriter().write(root, OutputStream.nullOutputStream());
    }

    private final ByteBuffer rawBuffer = ByteBuffer.allocate(1 << 20);

    private byte[] rawPass() throws Exception {
        return rawPass(files);
    }

    private byte[] rawPass(List<Path> files) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] array = rawBuffer.array();
        for (Path file : files) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                rawBuffer.clear();
                while (channel.read(rawBuffer) >= 0) {
                    if (!rawBuffer.hasRemaining()) {
                        digest.update(array, 0, rawBuffer.position());
                        rawBuffer.clear();
                    }
                }
                digest.update(array, 0, rawBuffer.position());
            }
        }
        return digest.digest();
    }
}
