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
import loomd.test.support.Trees;

/**
 * Substituting a closure of {@code loomd.bench.paths} paths (default 500: one top referring to all
 * others), {@code loomd.bench.mib} MiB each (default 1, zstd, half-compressible bytes), from a server on
 * loopback: wall time and NAR MB/s of the co-process mode (the stand-in {@code guix substitute}, which
 * downloads with urllib and decompresses with {@code zstd -dc}, as the real one does in Guile) and of
 * the native mode, next to the raw rate of decompressing and hashing the same NARs in one thread, in
 * memory (issue 12's "raw decompress+sha256 rate"; best of two passes). Goals (issue 12): native at
 * least 3x the co-process, and at least 80% of the raw rate. Prints /proc/loadavg with each figure
 * (the machine is shared) and the CPU seconds of the daemon and of this JVM during the native run.
 *
 * <p>The files are served by a {@link SendfileServer} (a remote cache's CPU is not ours; the JDK's
 * {@code HttpServer} copies every body through the heap on the same two cores); with
 * {@code -Dloomd.bench.jdkServer=true} by the {@link NarServer} itself. Before the timed native run
 * the daemon substitutes a closure of {@code loomd.bench.warmUp} other paths (default 64), so that
 * it is timed with its hot code compiled, as a daemon that has served for a while.
 * {@code -Dloomd.bench.nativeOnly=true} skips the co-process run; {@code -Dloomd.bench.jfr=FILE}
 * records the native daemon with Flight Recorder (profile settings); {@code -Dloomd.bench.threads=true}
 * prints the daemon's CPU by thread; {@code -Dloomd.bench.timeline=true} when the {@link NarServer}
 * saw each request (with {@code jdkServer}).
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
        Path served = Files.createTempDirectory("loomd-subst-bench-files-");
        try (NarServer server = new NarServer(STORE)) {
            List<NarServer.Item> items = items("bench-", paths, mib, salt);
            List<NarServer.Item> warmUp = items("warm-up-", Integer.getInteger("loomd.bench.warmUp", 64), mib, salt + 1);
            for (NarServer.Item it : warmUp) server.publish(it, key);
            List<byte[]> compressed = new ArrayList<>();
            long narBytes = 0;
            for (NarServer.Item it : items) {
                narBytes += server.publish(it, key).length;
                compressed.add(server.compressedNar(it));
            }
            Raw raw = rawRate(compressed);
            report("raw zstd -d + sha256, one thread", narBytes, raw.rate());
            System.out.printf("  CPU: %.2f s%n", raw.cpuSeconds());
            report("  the same, writing each NAR to a file", narBytes, writeRate(compressed));
            server.exportTo(served);
            try (SendfileServer files = new SendfileServer(served)) {
                String url = Boolean.getBoolean("loomd.bench.jdkServer") ? server.url() : files.url();
                System.out.println("serving from " + (url.equals(server.url()) ? "the JDK's HttpServer" : "sendfile"));
                double nativ = nativeRun(url, key, warmUp, items, narBytes);
                if (Boolean.getBoolean("loomd.bench.timeline")) server.timeline.forEach(System.out::println);
                System.out.printf("native / raw: %.0f%% (goal >= 80%%)%n", 100 * nativ / raw.rate());
                if (Boolean.getBoolean("loomd.bench.nativeOnly")) return;
                double helper = helperRun(url, server, items, narBytes);
                System.out.printf("native / co-process: %.1fx (goal >= 3)%n", nativ / helper);
                assertTrue(nativ > 0 && helper > 0);
            }
        } finally {
            try (var walk = Files.walk(served)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }

    static List<NarServer.Item> items(String prefix, int paths, int mib, long salt) {
        Random random = new Random(salt);
        List<NarServer.Item> items = new ArrayList<>();
        List<String> leaves = new ArrayList<>();
        for (int i = 0; i < paths; i++) {
            byte[] data = new byte[mib << 20];
            for (int k = 0; k < data.length; k++) data[k] = (byte) (random.nextInt(16) + 'a');
            String path = FakeSubstituter.path(STORE, prefix + salt + "-" + i, i);
            List<String> refs = i == paths - 1 ? List.copyOf(leaves) : List.of();
            items.add(new NarServer.Item(path, data, refs, "", "zstd"));
            leaves.add(path);
        }
        return items;
    }

    /** One thread's rate of decompressing and hashing, and the CPU seconds that pass took. */
    record Raw(double rate, double cpuSeconds) { }

    /** The best of two passes (the second with the digest's and the stream's code compiled). */
    static Raw rawRate(List<byte[]> compressed) throws Exception {
        Raw first = rawPass(compressed);
        Raw second = rawPass(compressed);
        return first.rate() > second.rate() ? first : second;
    }

    static Raw rawPass(List<byte[]> compressed) throws Exception {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long bytes = 0;
        long cpu = threads.getCurrentThreadCpuTime();
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
            sha.digest();
        }
        double rate = bytes / ((System.nanoTime() - start) / 1e9);
        return new Raw(rate, (threads.getCurrentThreadCpuTime() - cpu) / 1e9);
    }

    /**
     * Not the raw rate, a reference beside it: decompressing and hashing each NAR as the raw
     * rate does and writing it to a file on ext4, in one thread (no HTTP, no NAR parse, no
     * registration, no deduplication, no sync): the part of a substitution's work that the raw rate
     * leaves out and no substituter can.
     */
    static double writeRate(List<byte[]> compressed) throws Exception {
        Path dir = Files.createTempDirectory("loomd-subst-bench-write-");
        long bytes = 0;
        long start = System.nanoTime();
        byte[] buf = new byte[1 << 16];
        try {
            int i = 0;
            for (byte[] c : compressed) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (InputStream in = new ZstdInputStream(new java.io.ByteArrayInputStream(c));
                        var out = Files.newOutputStream(dir.resolve(Integer.toString(i++)))) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        sha.update(buf, 0, n);
                        out.write(buf, 0, n);
                        bytes += n;
                    }
                }
                sha.digest();
            }
            return bytes / ((System.nanoTime() - start) / 1e9);
        } finally {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }

    double nativeRun(String url, NarServer.Key key, List<NarServer.Item> warmUp, List<NarServer.Item> items,
            long narBytes) throws Exception {
        Path dir = Files.createTempDirectory("loomd-subst-bench-");
        DaemonProcess.Builder b = DaemonProcess.builder(dir);
        Path conf = Files.createDirectories(dir.resolve("etc/guix"));
        Files.writeString(conf.resolve("acl"), NarServer.acl(key));
        String jfr = System.getProperty("loomd.bench.jfr", "");
        if (!jfr.isEmpty()) b.jvmOption("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile");
        try (DaemonProcess d = b.args("--substituter=native").env("GUIX_CONFIGURATION_DIRECTORY", conf.toString()).start();
                StoreClient c = d.client()) {
            c.setOptions(BuildOptions.defaults().withSubstituteUrls(List.of(url)));
            warmUp(c, warmUp);
            Cpu cpu = Cpu.start(d.pid());
            long start = System.nanoTime();
            assertTrue(c.ensurePath(items.getLast().path()));
            double rate = narBytes / ((System.nanoTime() - start) / 1e9);
            report("native (--substituter=native)", narBytes, rate);
            cpu.report();
            return rate;
        } finally {
            Trees.delete(dir); // half a gigabyte of store per run
        }
    }

    /**
     * A first, smaller closure of other paths, so that the timed run meets a daemon whose hot code is
     * compiled, as a daemon that has been serving is (cold, C2 alone took 5 CPU-s of 14).
     */
    static void warmUp(StoreClient c, List<NarServer.Item> warmUp) throws Exception {
        if (warmUp.isEmpty()) return;
        long start = System.nanoTime();
        assertTrue(c.ensurePath(warmUp.getLast().path()));
        long bytes = 0;
        for (NarServer.Item it : warmUp) bytes += NarServer.nar(it.contents()).length;
        report("native, warm-up (" + warmUp.size() + " other paths)", bytes, bytes / ((System.nanoTime() - start) / 1e9));
    }

    double helperRun(String url, NarServer server, List<NarServer.Item> items, long narBytes) throws Exception {
        Path dir = Files.createTempDirectory("loomd-subst-bench-");
        try (DaemonProcess d = FakeSubstituter.install(DaemonProcess.builder(dir)).start(); StoreClient c = d.client()) {
            FakeSubstituter fake = FakeSubstituter.of(d);
            for (NarServer.Item it : items) {
                fake.serve(it.path(), Map.of("url", url + "/" + server.narName(it), "references", it.references(),
                        "deriver", "", "narSize", NarServer.nar(it.contents()).length));
            }
            c.setOptions(BuildOptions.defaults());
            long start = System.nanoTime();
            assertTrue(c.ensurePath(items.getLast().path()));
            double rate = narBytes / ((System.nanoTime() - start) / 1e9);
            report("co-process (stand-in guix substitute)", narBytes, rate);
            return rate;
        } finally {
            Trees.delete(dir);
        }
    }

    /** CPU seconds spent by the daemon and by this JVM (the server) while the clock ran. */
    record Cpu(long pid, long daemonTicks, long daemonSysTicks, long benchNanos, Map<String, Long> threadTicks) {
        static Cpu start(long pid) throws Exception {
            return new Cpu(pid, ticks(pid), sysTicks(pid), serverNanos(), threads(pid));
        }

        void report() throws Exception {
            System.out.printf("  CPU: daemon %.2f s (%.2f s in the kernel), bench JVM (server, client) %.2f s%n",
                    (ticks(pid) - daemonTicks) / 100.0, (sysTicks(pid) - daemonSysTicks) / 100.0,
                    (serverNanos() - benchNanos) / 1e9);
            if (!Boolean.getBoolean("loomd.bench.threads")) return;
            Map<String, Long> byName = threads(pid);
            threadTicks.forEach((name, before) -> byName.merge(name, -before, Long::sum));
            byName.entrySet().stream().filter(e -> e.getValue() >= 10).sorted(Map.Entry.comparingByValue(
                    java.util.Comparator.reverseOrder())).forEach(e -> System.out.printf("    %-24s %6.2f s%n",
                    e.getKey(), e.getValue() / 100.0));
        }

        /** The daemon's CPU ticks by thread name (digits folded), since it started. */
        static Map<String, Long> threads(long pid) throws Exception {
            Map<String, Long> byName = new java.util.TreeMap<>();
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path t : tasks.toList()) {
                    String name = Files.readString(t.resolve("comm")).strip().replaceAll("[0-9]+", "N");
                    byName.merge(name, ticks(pid + "/task/" + t.getFileName()), Long::sum);
                }
            }
            return byName;
        }

        /** utime + stime of /proc/PID/stat, in clock ticks (USER_HZ, 100 on Linux). */
        static long ticks(Object pid) throws Exception {
            String[] f = stat(pid);
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }

        static long sysTicks(Object pid) throws Exception {
            return Long.parseLong(stat(pid)[12]);
        }

        /** The fields of /proc/PID/stat after the command name (the state is [0]). */
        static String[] stat(Object pid) throws Exception {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        }

        static long serverNanos() {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
        }
    }

    static void report(String what, long bytes, double rate) throws Exception {
        System.out.printf("%-40s %8.1f MB/s  %6.2f s for %d MB   loadavg %s%n", what, rate / 1e6, bytes / rate,
                bytes / 1_000_000, Files.readString(Path.of("/proc/loadavg")).strip());
    }
}
