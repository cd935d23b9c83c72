package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Add-text-to-store throughput through the real daemon: one client adding fresh texts in a
 * sequence, 16 clients at once, and one client re-adding a path that is already valid. Prints
 * adds/s and the latency percentiles of the sequential run. Extra daemon arguments come from the
 * system property {@code loomd.bench.daemonArgs} (space-separated, e.g. {@code --durability=strict}),
 * extra daemon JVM options from {@code loomd.bench.daemonJvm} (e.g. {@code -XX:StartFlightRecording=...}).
 */
@Tag("bench")
class AddPathBench {
    static final int WARMUP = 3_000;
    static final int SEQUENTIAL = 10_000;
    static final int CLIENTS = 16;
    static final int PER_CLIENT = 2_000;

    @TempDir Path dir;

    static void report(String line) {
        System.out.println("[AddPathBench] " + line);
        System.err.println("[AddPathBench] " + line);
    }

    private DaemonProcess start() throws IOException {
        String extra = System.getProperty("loomd.bench.daemonArgs", "").trim();
        var b = DaemonProcess.builder(dir.resolve("d"));
        if (!extra.isEmpty()) b.args(extra.split(" +"));
        String jvm = System.getProperty("loomd.bench.daemonJvm", "").trim();
        if (!jvm.isEmpty()) for (String o : jvm.split(" +")) b.jvmOption(o);
        return b.start();
    }

    private static StoreClient client(DaemonProcess d) throws IOException {
        return StoreClient.connectUnix(d.socketPath(), ClientOptions.DEFAULT);
    }

    @Test
    void addText() throws Exception {
        try (DaemonProcess daemon = start()) {
            try (StoreClient c = client(daemon)) {
                for (int i = 0; i < WARMUP; i++) c.addTextToStore("warm-" + i, "warm " + i, List.of());
                long[] micros = new long[SEQUENTIAL];
                long t0 = System.nanoTime();
                for (int i = 0; i < SEQUENTIAL; i++) {
                    long s = System.nanoTime();
                    c.addTextToStore("seq-" + i, "sequential " + i, List.of());
                    micros[i] = (System.nanoTime() - s) / 1000;
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                Arrays.sort(micros);
                report(String.format("add-text, one client: %d adds in %.2f s = %.0f adds/s, median %d us, p99 %d us",
                        SEQUENTIAL, secs, SEQUENTIAL / secs, micros[SEQUENTIAL / 2], micros[SEQUENTIAL * 99 / 100]));
                String again = c.addTextToStore("seq-0", "sequential 0", List.of());
                long[] re = new long[SEQUENTIAL];
                long r0 = System.nanoTime();
                for (int i = 0; i < SEQUENTIAL; i++) {
                    long s = System.nanoTime();
                    assertEquals(again, c.addTextToStore("seq-0", "sequential 0", List.of()));
                    re[i] = (System.nanoTime() - s) / 1000;
                }
                double rsecs = (System.nanoTime() - r0) / 1e9;
                Arrays.sort(re);
                report(String.format("re-add of a valid path, one client: %.0f adds/s, median %d us, p99 %d us",
                        SEQUENTIAL / rsecs, re[SEQUENTIAL / 2], re[SEQUENTIAL * 99 / 100]));
            }
            concurrent(daemon);
        }
    }

    private void concurrent(DaemonProcess daemon) throws Exception {
        CountDownLatch ready = new CountDownLatch(CLIENTS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Long>> done = new ArrayList<>();
        long t0;
        try (var pool = Executors.newFixedThreadPool(CLIENTS)) {
            for (int k = 0; k < CLIENTS; k++) {
                int client = k;
                done.add(pool.submit(() -> {
                    try (StoreClient c = client(daemon)) {
                        c.addTextToStore("warm-c" + client, "warm", List.of());
                        ready.countDown();
                        go.await();
                        for (int i = 0; i < PER_CLIENT; i++) {
                            assertTrue(c.addTextToStore("par-" + client + "-" + i, "parallel " + client + " " + i,
                                    List.of()).endsWith("-par-" + client + "-" + i));
                        }
                        return System.nanoTime();
                    }
                }));
            }
            ready.await();
            t0 = System.nanoTime();
            go.countDown();
            long end = 0;
            for (Future<Long> f : done) end = Math.max(end, f.get());
            double secs = (end - t0) / 1e9;
            int total = CLIENTS * PER_CLIENT;
            report(String.format("add-text, %d clients: %d adds in %.2f s = %.0f adds/s", CLIENTS, total, secs,
                    total / secs));
        }
    }
}
