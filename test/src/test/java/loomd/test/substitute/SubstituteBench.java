package loomd.test.substitute;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.github.luben.zstd.ZstdInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/**
 * Substituting a closure of {@code loomd.bench.paths} paths (default 500: one top referring to all
 * others), {@code loomd.bench.mib} MiB each (default 1, zstd, half-compressible bytes), from a
 * {@link NarServer} on loopback: wall time and NAR MB/s of the co-process mode (the stand-in
 * {@code guix substitute}, which downloads with urllib and decompresses with {@code zstd -dc}, as the
 * real one does in Guile) and of the native mode, next to the raw rate of decompressing and hashing
 * the same NARs in one thread. Goals (issue 12): native at least 3x the co-process, and at least 80%
 * of the raw rate. Prints /proc/loadavg with each figure: the machine is shared.
 * {@code -Dloomd.bench.nativeOnly=true} skips the co-process run; {@code -Dloomd.bench.jfr=FILE}
 * records the native daemon with Flight Recorder (profile settings).
 */
@Tag("bench")
class SubstituteBench {
    static final String STORE = "/gnu/store";

    @Test
    void closureFromALocalServer() throws Exception {
        int paths = Integer.getInteger("loomd.bench.paths", 500);
        int mib = Integer.getInteger("loomd.bench.mib", 1);
        NarServer.Key key = NarServer.Key.generate();
        long salt = System.nanoTime();
        try (NarServer server = new NarServer(STORE)) {
            List<NarServer.Item> items = items(paths, mib, salt);
            List<byte[]> compressed = new ArrayList<>();
            long narBytes = 0;
            for (NarServer.Item it : items) {
                narBytes += server.publish(it, key).length;
                compressed.add(server.compressedNar(it));
            }
            double raw = rawRate(compressed);
            report("raw zstd -d + sha256, one thread", narBytes, raw);
            double nativ = nativeRun(server, key, items, narBytes);
            if (Boolean.getBoolean("loomd.bench.nativeOnly")) return;
            double helper = helperRun(server, items, narBytes);
            System.out.printf("native / co-process: %.1fx (goal >= 3); native / raw: %.0f%% (goal >= 80%%)%n",
                    nativ / helper, 100 * nativ / raw);
            assertTrue(nativ > 0 && helper > 0);
        }
    }

    static List<NarServer.Item> items(int paths, int mib, long salt) {
        Random random = new Random(salt);
        List<NarServer.Item> items = new ArrayList<>();
        List<String> leaves = new ArrayList<>();
        for (int i = 0; i < paths; i++) {
            byte[] data = new byte[mib << 20];
            for (int k = 0; k < data.length; k++) data[k] = (byte) (random.nextInt(16) + 'a');
            String path = FakeSubstituter.path(STORE, "bench-" + salt + "-" + i, i);
            List<String> refs = i == paths - 1 ? List.copyOf(leaves) : List.of();
            items.add(new NarServer.Item(path, data, refs, "", "zstd"));
            leaves.add(path);
        }
        return items;
    }

    static double rawRate(List<byte[]> compressed) throws Exception {
        long bytes = 0;
        long start = System.nanoTime();
        byte[] buf = new byte[1 << 16];
        for (byte[] c : compressed) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new ZstdInputStream(new java.io.ByteArrayInputStream(c))) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    bytes += n;
                }
            }
        }
        return bytes / ((System.nanoTime() - start) / 1e9);
    }

    double nativeRun(NarServer server, NarServer.Key key, List<NarServer.Item> items, long narBytes) throws Exception {
        Path dir = Files.createTempDirectory("loomd-subst-bench-");
        DaemonProcess.Builder b = DaemonProcess.builder(dir);
        Path conf = Files.createDirectories(dir.resolve("etc/guix"));
        Files.writeString(conf.resolve("acl"), NarServer.acl(key));
        String jfr = System.getProperty("loomd.bench.jfr", "");
        if (!jfr.isEmpty()) b.jvmOption("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile");
        try (DaemonProcess d = b.args("--substituter=native").env("GUIX_CONFIGURATION_DIRECTORY", conf.toString()).start();
                StoreClient c = d.client()) {
            c.setOptions(BuildOptions.defaults().withSubstituteUrls(List.of(server.url())));
            long start = System.nanoTime();
            assertTrue(c.ensurePath(items.getLast().path()));
            double rate = narBytes / ((System.nanoTime() - start) / 1e9);
            report("native (--substituter=native)", narBytes, rate);
            if (Boolean.getBoolean("loomd.bench.timeline")) server.timeline.forEach(System.out::println);
            return rate;
        }
    }

    double helperRun(NarServer server, List<NarServer.Item> items, long narBytes) throws Exception {
        Path dir = Files.createTempDirectory("loomd-subst-bench-");
        try (DaemonProcess d = FakeSubstituter.install(DaemonProcess.builder(dir)).start(); StoreClient c = d.client()) {
            FakeSubstituter fake = FakeSubstituter.of(d);
            for (NarServer.Item it : items) {
                fake.serve(it.path(), Map.of("url", server.url() + "/" + server.narName(it), "references", it.references(),
                        "deriver", "", "narSize", NarServer.nar(it.contents()).length));
            }
            c.setOptions(BuildOptions.defaults());
            long start = System.nanoTime();
            assertTrue(c.ensurePath(items.getLast().path()));
            double rate = narBytes / ((System.nanoTime() - start) / 1e9);
            report("co-process (stand-in guix substitute)", narBytes, rate);
            return rate;
        }
    }

    static void report(String what, long bytes, double rate) throws Exception {
        System.out.printf("%-40s %8.1f MB/s  %6.2f s for %d MB   loadavg %s%n", what, rate / 1e6, bytes / rate,
                bytes / 1_000_000, Files.readString(Path.of("/proc/loadavg")).strip());
    }
}
