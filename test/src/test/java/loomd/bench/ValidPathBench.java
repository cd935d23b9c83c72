package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.StoreClient;

/**
 * The round trip of IsValidPath on one open connection, {@code loomd.bench.calls} calls (default
 * 100,000) after a warm-up, median/p90/p99 in µs. Measured first from a small Python client that
 * speaks the protocol with {@code struct} and shares no code with loomd
 * ({@code valid_path_client.py} in the test resources), then from the Java {@link StoreClient}
 * for comparison. Another daemon: {@code -Dloomd.bench.socket=... -Dloomd.bench.storeDir=...}.
 */
@Tag("bench")
class ValidPathBench {
    static final int CALLS = Knobs.count("loomd.bench.calls", 100_000);
    static final int WARMUP = Math.min(CALLS, 10_000);

    @RegisterExtension
    static final BenchDaemon daemon = new BenchDaemon();

    @Test
    void isValidPathRoundTrips() throws Exception {
        String path;
        try (StoreClient c = daemon.client()) {
            path = c.addTextToStore("valid-path-bench.txt", "ValidPathBench run " + Knobs.runId() + "\n", List.of());
        }
        Map<String, String> python = runPythonClient(path);
        assertEquals("1", python.get("valid"), "the path is valid for the python client too: " + python);
        JavaRun java = javaClient(path);
        Table table = new Table(String.format("ValidPathBench: IsValidPath x %,d on one connection against %s", CALLS,
                daemon.describe()), "client", "calls", "median us", "p90 us", "p99 us", "calls/s");
        table.row("python3 + struct", CALLS, micros(python, "median_ns"), micros(python, "p90_ns"),
                micros(python, "p99_ns"),
                String.format("%.0f", CALLS / (Long.parseLong(python.get("total_ns")) / 1e9)));
        Latencies l = java.latencies();
        table.row("Java StoreClient", CALLS, l.medianMicros(), l.p90Micros(), l.p99Micros(),
                String.format("%.0f", CALLS / (java.totalNanos() / 1e9)));
        table.print();
    }

    record JavaRun(Latencies latencies, long totalNanos) {}

    private static JavaRun javaClient(String path) throws IOException {
        long[] nanos = new long[CALLS];
        long total;
        try (StoreClient c = daemon.client()) {
            for (int i = 0; i < WARMUP; i++) {
                c.isValidPath(path);
            }
            long start = System.nanoTime();
            for (int i = 0; i < CALLS; i++) {
                long t0 = System.nanoTime();
                boolean valid = c.isValidPath(path);
                nanos[i] = System.nanoTime() - t0;
                assertTrue(valid, path);
            }
            total = System.nanoTime() - start;
        }
        return new JavaRun(Latencies.ofNanos(nanos), total);
    }

    /** Runs the python client to its end and returns its {@code key=value} report. */
    private static Map<String, String> runPythonClient(String path) throws Exception {
        Process p = new ProcessBuilder("python3", script().toString(), daemon.socket().toString(), path,
                Integer.toString(CALLS), Integer.toString(WARMUP)).redirectErrorStream(true).start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(p.waitFor(30, TimeUnit.MINUTES), "the python client did not finish");
        String text = output.get(1, TimeUnit.MINUTES).trim();
        assertEquals(0, p.exitValue(), "python client failed:\n" + text);
        Map<String, String> report = new HashMap<>();
        for (String field : text.lines().reduce((a, b) -> b).orElse("").split(" ")) {
            int eq = field.indexOf('=');
            if (eq > 0) {
                report.put(field.substring(0, eq), field.substring(eq + 1));
            }
        }
        assertTrue(report.containsKey("p99_ns"), "python client said:\n" + text);
        return report;
    }

    private static Path script() throws URISyntaxException {
        return Path.of(ValidPathBench.class.getResource("valid_path_client.py").toURI());
    }

    private static double micros(Map<String, String> report, String key) {
        return Long.parseLong(report.get(key)) / 1e3;
    }
}
