package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.GcAction;
import loomd.protocol.client.StoreClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a collection costs the other clients (goal: no added latency above 10 ms p99):
 * {@code loomd.bench.gcClients} clients (default 4) add small texts back to back, first for
 * {@code loomd.bench.gcQuietSeconds} (default 10) with no collection, then while a delete-dead
 * collection of a {@code loomd.bench.gcSmall}-path store (default 100,000, half unreachable,
 * written into the database before the daemon starts, as {@link GcBench}) runs; p50/p99/max of
 * one add in each phase. Against a running daemon ({@link BenchDaemon}) its store is collected
 * as it is: every dead path of it goes.
 */
@Tag("bench")
class GcLatencyBench {
    static final int CLIENTS = Knobs.count("loomd.bench.gcClients", 4);
    static final int QUIET_SECONDS = Knobs.count("loomd.bench.gcQuietSeconds", 10);

    @RegisterExtension final BenchDaemon daemon = new BenchDaemon(builder -> {
        Path root = builder.root();
        Path state = root.resolve("var/guix");
        GcBench.populate(root.resolve(GcBench.STORE.substring(1)), state.resolve("db"), state.resolve("gcroots"),
                GcBench.SMALL);
        return builder;
    });

    /** One add: when it started, and how long it took. */
    private record Sample(long startNanos, long nanos) {}

    @Test
    void addsDuringADeleteDeadCollection() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        daemon.get();
        List<Thread> adders = new ArrayList<>();
        for (int k = 0; k < CLIENTS; k++) {
            int client = k;
            adders.add(Thread.ofPlatform().name("adder-" + k).start(() -> add(client, stop, samples)));
        }
        Thread.sleep(QUIET_SECONDS * 1000L);
        String quietLoad = loadAverage();
        long gcStart = System.nanoTime();
        int deleted;
        // Its progress lines (one per path) discarded: printing them would load this JVM, the adders'.
        try (StoreClient c = StoreClient.connectUnix(daemon.socket(), ClientOptions.DEFAULT.withLog(line -> { }))) {
            deleted = c.collectGarbage(GcAction.DELETE_DEAD, List.of(), StoreClient.NO_LIMIT).paths().size();
        }
        long gcEnd = System.nanoTime();
        String gcLoad = loadAverage();
        stop.set(true);
        for (Thread t : adders) t.join();
        List<Long> quiet = new ArrayList<>();
        List<Long> during = new ArrayList<>();
        for (Sample s : samples) {
            if (s.startNanos() + s.nanos() < gcStart) quiet.add(s.nanos());
            else if (s.startNanos() >= gcStart && s.startNanos() + s.nanos() <= gcEnd) during.add(s.nanos());
        }
        Table t = new Table(String.format("GcLatencyBench: AddTextToStore latency of %d clients, delete-dead of %,d paths"
                + " took %.2f s, %s", CLIENTS, deleted, (gcEnd - gcStart) / 1e9, daemon.describe()),
                "phase", "adds", "p50 ms", "p99 ms", "max ms", "loadavg");
        row(t, "no collection", quiet, quietLoad);
        row(t, "during delete-dead", during, gcLoad);
        t.print();
        assertTrue(!quiet.isEmpty() && !during.isEmpty(), "adds in both phases");
    }

    private void add(int client, AtomicBoolean stop, ConcurrentLinkedQueue<Sample> samples) {
        try (StoreClient c = daemon.client()) {
            for (int i = 0; !stop.get(); i++) {
                long t0 = System.nanoTime();
                c.addTextToStore("gc-latency-" + client + "-" + i, Knobs.runId() + " " + client + " " + i, List.of());
                samples.add(new Sample(t0, System.nanoTime() - t0));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void row(Table t, String phase, List<Long> nanos, String load) {
        if (nanos.isEmpty()) {
            t.row(phase, 0, "-", "-", "-", load);
            return;
        }
        Latencies l = Latencies.ofNanos(nanos.stream().mapToLong(Long::longValue).toArray());
        t.row(phase, l.count(), String.format("%.2f", l.medianMicros() / 1e3), String.format("%.2f", l.p99Micros() / 1e3),
                String.format("%.2f", l.maxMicros() / 1e3), load);
    }

    private static String loadAverage() throws java.io.IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ", 4)[0];
    }
}
