package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import loomd.protocol.client.PathInfo;
import loomd.protocol.client.StoreClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * AddToStore of a 1 GiB tree through the real daemon (client NAR-streams the tree from disk over
 * the Unix socket; the daemon restores, hashes, canonicalises, fsyncs, renames and registers).
 * Two shapes: 64 files of 16 MiB, and 16,384 files of 64 KiB (per-file costs: fsync, metadata).
 * Prints MB/s (MiB of file content per second, wall clock of the one request) and the daemon's CPU
 * time per MiB (with its helpers; a shared machine inflates wall time far more). The total size is
 * {@code -Dloomd.bench.addMiB} (default 1024). Each shape gets a
 * fresh loomd, or faces a running daemon ({@code -Dloomd.bench.socket=... -Dloomd.bench.storeDir=...},
 * see {@link BenchDaemon}); the contents differ on every run, so the tree is always a new path.
 */
@Tag("bench")
class AddToStoreBench {
    static final long TOTAL = (long) Knobs.count("loomd.bench.addMiB", 1024) << 20;

    @RegisterExtension
    final BenchDaemon daemon = new BenchDaemon();

    @TempDir Path dir;

    @Test
    void bigFiles() throws Exception {
        run("big", 64, (int) (TOTAL / 64));
    }

    @Test
    void smallFiles() throws Exception {
        run("small", 16_384, (int) (TOTAL / 16_384));
    }

    private void run(String label, int files, int size) throws Exception {
        Path tree = makeTree(dir.resolve("src-" + label), files, size);
        try (StoreClient client = daemon.client()) {
            long cpu0 = DaemonCpu.millis(daemon.own());
            long t0 = System.nanoTime();
            String path = client.addToStore(label + "-tree", true, "sha256", tree);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long cpu = DaemonCpu.millis(daemon.own()) - cpu0;
            PathInfo info = client.queryPathInfo(path);
            assertTrue(info.narSize() > (long) files * size);
            assertTrue(client.isValidPath(path));
            double mib = (double) files * size / (1 << 20);
            System.out.printf("AddToStoreBench %s against %s: %d files x %d bytes = %.0f MiB in %.2f s = %.1f MiB/s,"
                    + " daemon CPU %s ms/MiB, loadavg %s (NAR %d bytes)%n", label, daemon.describe(), files, size, mib,
                    seconds, mib / seconds, cpu < 0 ? "?" : String.format("%.2f", cpu / mib), DaemonCpu.loadAverage(),
                    info.narSize());
            Path added = daemon.physicalStoreDir().resolve(path.substring(daemon.storeDir().length() + 1));
            if (Files.isReadable(added)) {
                assertEquals(files, countFiles(added));
            }
        }
    }

    private static Path makeTree(Path root, int files, int size) throws IOException {
        Random random = new Random(Knobs.runId().hashCode());
        byte[] block = new byte[Math.min(size, 1 << 20)];
        for (int i = 0; i < files; i++) {
            Path dirPath = Files.createDirectories(root.resolve(String.format("d%03d", i % 128)));
            try (OutputStream out = Files.newOutputStream(dirPath.resolve(String.format("f%05d", i)))) {
                for (int written = 0; written < size; written += block.length) {
                    random.nextBytes(block);
                    out.write(block, 0, Math.min(block.length, size - written));
                }
            }
        }
        return root;
    }

    private static long countFiles(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
