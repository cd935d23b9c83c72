package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.StoreClient;

/**
 * AddTextToStore throughput and latency, the operation a derivation-heavy client (guix build -d)
 * issues most: {@code loomd.bench.adds} adds (default 2,000) by 1 client, then the same number
 * spread over 16 clients on their own connections. Every text is unique to the run, so every add
 * creates a path. Reports adds/s over the wall clock and the median and p99 of one add.
 * Another daemon: {@code -Dloomd.bench.socket=... -Dloomd.bench.storeDir=...} (see {@link BenchDaemon}).
 */
@Tag("bench")
class AddTextBench {
    static final int ADDS = Knobs.count("loomd.bench.adds", 2_000);

    @RegisterExtension
    static final BenchDaemon daemon = new BenchDaemon();

    @Test
    void addTextToStoreWithOneAndSixteenClients() throws Exception {
        Table table = new Table(String.format("AddTextBench: %,d adds per row against %s", ADDS, daemon.describe()),
                "clients", "adds", "wall s", "adds/s", "median ms", "p99 ms", "daemon CPU us/add", "loadavg");
        for (int clients : new int[] {1, 16}) {
            long cpuBefore = DaemonCpu.millis(daemon.own());
            Run run = addConcurrently(clients);
            long cpu = DaemonCpu.millis(daemon.own()) - cpuBefore;
            Latencies l = Latencies.ofNanos(run.nanos());
            table.row(clients, ADDS, run.wallNanos() / 1e9, ADDS / (run.wallNanos() / 1e9),
                    String.format("%.2f", l.medianMicros() / 1e3), String.format("%.2f", l.p99Micros() / 1e3),
                    cpuBefore < 0 ? "?" : String.format("%.0f", cpu * 1e3 / ADDS), DaemonCpu.loadAverage());
        }
        table.print();
    }

    /** The latency of every add, and the wall time from the first to the last. */
    record Run(long[] nanos, long wallNanos) {}

    private static Run addConcurrently(int clients) throws Exception {
        long[] nanos = new long[ADDS];
        CountDownLatch connected = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        long start;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    try (StoreClient store = daemon.client()) {
                        connected.countDown();
                        go.await();
                        // Client c makes adds c, c + clients, c + 2 * clients, ...
                        for (int i = client; i < ADDS; i += clients) {
                            nanos[i] = timedAdd(store, clients, i);
                        }
                    }
                    return null;
                }));
            }
            assertTrue(connected.await(60, TimeUnit.SECONDS), "clients did not connect");
            start = System.nanoTime();
            go.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.MINUTES);
            }
        }
        return new Run(nanos, System.nanoTime() - start);
    }

    private static long timedAdd(StoreClient store, int clients, int i) throws Exception {
        String name = "add-text-bench-" + i + ".txt";
        String text = "AddTextBench run " + Knobs.runId() + ", " + clients + " client(s), add " + i + "\n";
        long t0 = System.nanoTime();
        String path = store.addTextToStore(name, text, List.of());
        long t = System.nanoTime() - t0;
        assertTrue(path.startsWith(daemon.storeDir() + "/") && path.endsWith("-" + name), path);
        return t;
    }
}
