package loomd.bench;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Daemon-core benchmarks against the real daemon jar (results on the test output): connection
 * setup latency, QueryPathInfo throughput, RSS with 10,000 idle connections. The first two can
 * face another daemon ({@code -Dloomd.bench.socket=... -Dloomd.bench.storeDir=...}, see
 * {@link BenchDaemon}); the RSS one measures loomd JVM configurations it starts itself.
 * Run: {@code ./mvnw -B verify -Pbench -pl test -am -Dtest=DaemonBench -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("bench")
class DaemonBench {
    /** hello.txt in /gnu/store, for the fresh daemons of the RSS test. */
    static final String HELLO = "/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt";

    @RegisterExtension
    static final BenchDaemon daemon = new BenchDaemon(b -> b.args("--max-connections=20000"));
    /** hello.txt in the measured daemon's store. */
    static String hello;

    @BeforeAll
    static void addHello() throws IOException {
        try (StoreClient c = client()) {
            hello = c.addTextToStore("hello.txt", "hello world\n", List.of());
        }
    }

    static StoreClient client() throws IOException {
        return daemon.client();
    }

    static void report(String line) {
        System.out.println("[DaemonBench] " + line);
    }

    @Test
    void connectHandshakeIsValidPath() throws IOException {
        int n = 10_000;
        report("connection setup against " + daemon.describe());
        for (int i = 0; i < 1000; i++) {
            try (StoreClient c = client()) {
                c.isValidPath(hello);
            }
        }
        long[] micros = new long[n];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            try (StoreClient c = client()) {
                if (!c.isValidPath(hello)) {
                    throw new AssertionError("hello must be valid");
                }
            }
            micros[i] = (System.nanoTime() - s) / 1000;
        }
        long total = System.nanoTime() - t0;
        Arrays.sort(micros);
        report(String.format("connect+handshake+IsValidPath x%d: median %d us, p99 %d us, max %d us, %.0f conn/s",
                n, micros[n / 2], micros[n * 99 / 100], micros[n - 1], n / (total / 1e9)));
    }

    @Test
    void queryPathInfoThroughput() throws Exception {
        report("QueryPathInfo against " + daemon.describe());
        for (int clients : new int[] {1, 64}) {
            runQueries(clients, 1_000);
            double perSecond = runQueries(clients, 5_000);
            report(String.format("QueryPathInfo with %d client(s): %.0f ops/s", clients, perSecond));
        }
    }

    private static double runQueries(int clients, long millis) throws Exception {
        AtomicLong ops = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long[] window = new long[2];
        for (int i = 0; i < clients; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (StoreClient c = client()) {
                    ready.countDown();
                    go.await();
                    long end = window[1];
                    long local = 0;
                    while (System.nanoTime() < end) {
                        c.queryPathInfo(hello);
                        local++;
                    }
                    ops.addAndGet(local);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        ready.await();
        window[0] = System.nanoTime();
        window[1] = window[0] + millis * 1_000_000L;
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        return ops.get() / ((System.nanoTime() - window[0]) / 1e9);
    }

    /** A fresh daemon per JVM configuration, so earlier benchmarks' garbage does not count. */
    @Test
    void rssWithTenThousandIdleConnections(@TempDir Path dir) throws Exception {
        assumeTrue(BenchDaemon.running().isEmpty(), "measures loomd JVM configurations, not a running daemon");
        rss(dir.resolve("default"), List.of());
        rss(dir.resolve("serial"), List.of("-XX:+UseSerialGC"));
    }

    private static void rss(Path dir, List<String> jvmOptions) throws Exception {
        DaemonProcess.Builder builder = DaemonProcess.builder(dir).args("--max-connections=20000");
        jvmOptions.forEach(builder::jvmOption);
        try (DaemonProcess d = builder.start()) {
            long before = rssKiB(d.pid());
            List<SocketChannel> open = new ArrayList<>();
            try {
                for (int i = 0; i < 10_000; i++) {
                    SocketChannel ch = d.connectUnix();
                    open.add(ch);
                    DaemonProcess.handshake(ch);
                }
                Thread.sleep(2000);
                long after = rssKiB(d.pid());
                long[] micros = new long[500];
                for (int i = 0; i < micros.length; i++) {
                    long s = System.nanoTime();
                    try (StoreClient c = d.client()) {
                        c.isValidPath(HELLO);
                    }
                    micros[i] = (System.nanoTime() - s) / 1000;
                }
                Arrays.sort(micros);
                report(String.format("%s: connect+handshake+IsValidPath beside 10,000 idle connections, x500: "
                        + "median %d us, p99 %d us", jvmOptions, micros[250], micros[495]));
                report(String.format("%s: daemon RSS %d MiB idle, %d MiB with 10,000 idle connections (threads: %s)",
                        jvmOptions, before / 1024, after / 1024, threads(d.pid())));
            } finally {
                for (SocketChannel ch : open) {
                    ch.close();
                }
            }
        }
    }

    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static String threads(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("Threads:")) {
                return line.substring(8).trim();
            }
        }
        return "?";
    }
}
