package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.gc.GarbageCollector;
import loomd.daemon.store.gc.GcRequest;
import loomd.daemon.store.gc.GcResult;
import loomd.protocol.client.GcAction;
import loomd.protocol.client.StoreClient;
import loomd.protocol.store.StoreDir;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector's costs, in process: (1) a synthetic database of {@code loomd.bench.gcPaths}
 * paths (default 1,000,000) and five references each, written straight into SQLite: graph load,
 * mark, and the graph's heap (goal: mark under 2 s, graph under 150 MiB); (2) a store of
 * {@code loomd.bench.gcSmall} small registered paths (default 100,000), half unreachable:
 * return-dead and delete-dead; (3) the same through a daemon's socket, {@link #overSocket}: by
 * default a loomd the harness starts, or a running daemon with {@code -Dloomd.bench.socket=...
 * -Dloomd.bench.storeDir=...} (see {@link BenchDaemon}). Against a running daemon, "delete dead"
 * deletes every dead path of that store, not only the harness's.
 */
@Tag("bench")
class GcBench {
    static final int PATHS = Knobs.count("loomd.bench.gcPaths", 1_000_000);
    static final int SMALL = Knobs.count("loomd.bench.gcSmall", 100_000);
    static final String STORE = "/gnu/store/";

    @RegisterExtension final BenchDaemon daemon = new BenchDaemon();

    @TempDir Path dir;

    static String path(int i) {
        return STORE + String.format("%032d", i).replace('0', 'a').replace('1', 'b').replace('2', 'c')
                .replace('3', 'd').replace('4', 'f').replace('5', 'g').replace('6', 'h').replace('7', 'i')
                .replace('8', 'j').replace('9', 'k') + "-bench-" + i;
    }

    /** Rows 1..n, each referring to up to {@code fanout} random earlier paths of its half. */
    static void fill(Path dbDir, int n, int fanout, boolean halves) throws Exception {
        StoreDatabase.open(StoreDatabase.Settings.defaults(dbDir)).close();
        Random random = new Random(42);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbDir.resolve("db.sqlite"))) {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement(
                    "insert into ValidPaths (id, path, hash, registrationTime, narSize) values (?, ?, 'sha256:00', 1, 120)")) {
                for (int i = 1; i <= n; i++) {
                    p.setInt(1, i);
                    p.setString(2, path(i));
                    p.addBatch();
                    if (i % 10_000 == 0) p.executeBatch();
                }
                p.executeBatch();
            }
            try (PreparedStatement p = c.prepareStatement("insert or ignore into Refs (referrer, reference) values (?, ?)")) {
                int half = n / 2;
                for (int i = 2; i <= n; i++) {
                    int low = halves && i > half ? half + 1 : 1;
                    if (i <= low) continue;
                    for (int k = 0; k < fanout; k++) {
                        p.setInt(1, i);
                        p.setInt(2, low + random.nextInt(i - low));
                        p.addBatch();
                    }
                    if (i % 10_000 == 0) p.executeBatch();
                }
                p.executeBatch();
            }
            c.commit();
        }
    }

    /**
     * A store of {@code n} small registered paths, half of them unreachable: the database, one
     * file per path, and permanent roots in {@code gcroots}. The live half's last 5,000 paths are
     * roots (with three references each to random earlier ones, most of the half is reached).
     */
    static void populate(Path physicalStore, Path dbDir, Path gcroots, int n) throws Exception {
        Files.createDirectories(physicalStore);
        fill(dbDir, n, 3, true);
        for (int i = 1; i <= n; i++) {
            Files.writeString(physicalStore.resolve(path(i).substring(STORE.length())), "contents " + i);
        }
        Files.createDirectories(gcroots);
        for (int i = Math.max(1, n / 2 - 4999); i <= n / 2; i++) {
            Files.createSymbolicLink(gcroots.resolve("r" + i), Path.of(path(i)));
        }
    }

    @Test
    void markOfAMillionPaths() throws Exception {
        Path dbDir = dir.resolve("db");
        long t0 = System.nanoTime();
        fill(dbDir, PATHS, 5, false);
        long filled = System.nanoTime() - t0;
        List<String> roots = new ArrayList<>();
        for (int i = PATHS; i > PATHS - 1000; i--) roots.add(path(i));
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dbDir))) {
            GarbageCollector.measureMark(db, "/gnu/store", roots);
            GarbageCollector.MarkStats s = GarbageCollector.measureMark(db, "/gnu/store", roots);
            Table t = new Table(String.format("GcBench: graph of %,d paths, ~%,d references (synthetic DB filled in %.1f s)",
                    s.paths(), 5L * PATHS, filled / 1e9), "paths", "live", "load s", "mark s", "graph arrays MiB");
            t.row(s.paths(), s.live(), String.format("%.2f", s.loadNanos() / 1e9),
                    String.format("%.3f", s.markNanos() / 1e9), String.format("%.1f", s.graphBytes() / 1048576.0));
            t.print();
            assertEquals(PATHS, s.paths());
        }
    }

    @Test
    void returnAndDeleteDeadOfHalfAStore() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        StoreConfig config = StoreConfig.of(StoreDir.DEFAULT, Optional.of(root), dir.resolve("var"), dir.resolve("etc"));
        populate(config.physicalStore(), config.dbDir(), config.stateDir().resolve("gcroots"), SMALL);
        try (LocalStore store = LocalStore.open(config)) {
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            GcResult dead = store.gc().collectGarbage(new GcRequest(GcRequest.Action.RETURN_DEAD, List.of(), -1, false,
                    true, true), m -> { });
            long t1 = System.nanoTime();
            long c1 = cpuNanos();
            GcResult deleted = store.gc().collectGarbage(new GcRequest(GcRequest.Action.DELETE_DEAD, List.of(), -1,
                    false, true, true), m -> { });
            long t2 = System.nanoTime();
            long c2 = cpuNanos();
            Table t = new Table(String.format("GcBench: %,d small registered paths, half unreachable (load %.1f)",
                    SMALL, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()),
                    "action", "paths", "seconds", "JVM CPU s");
            t.row("return dead", dead.paths().size(), String.format("%.2f", (t1 - t0) / 1e9),
                    String.format("%.2f", (c1 - c0) / 1e9));
            t.row("delete dead", deleted.paths().size(), String.format("%.2f", (t2 - t1) / 1e9),
                    String.format("%.2f", (c2 - c1) / 1e9));
            t.print();
            assertEquals(dead.paths(), deleted.paths());
        }
    }

    /** CPU time of this JVM, all threads: a figure that load on a shared machine does not inflate. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * {@code loomd.bench.gcSocketPaths} text paths added through the socket (default 20,000: adds are
     * slower than a direct fill), each referring to up to three earlier ones of its half; the
     * last 1,000 of the first half are indirect roots (symlinks in this harness's folder), the
     * second half is garbage. Times return-dead, then delete-dead.
     */
    @Test
    void overSocket() throws Exception {
        int n = Knobs.count("loomd.bench.gcSocketPaths", 20_000);
        Random random = new Random(7);
        String[] added = new String[n];
        int half = n / 2;
        long a0 = System.nanoTime();
        // A session of its own: its temp roots (every path it added) go when it closes.
        try (StoreClient adder = daemon.client()) {
            for (int i = 0; i < n; i++) {
                int low = i < half ? 0 : half;
                List<String> refs = new ArrayList<>();
                for (int k = 0; k < 3 && i > low; k++) refs.add(added[low + random.nextInt(i - low)]);
                added[i] = adder.addTextToStore("gc-bench-" + i, Knobs.runId() + " " + i, refs);
            }
        }
        try (StoreClient c = daemon.client()) {
            Path links = Files.createDirectories(dir.resolve("roots"));
            for (int i = Math.max(0, half - 1000); i < half; i++) {
                Path link = Files.createSymbolicLink(links.resolve("r" + i), Path.of(added[i]));
                c.addIndirectRoot(link.toString());
            }
            double addSecs = (System.nanoTime() - a0) / 1e9;
            long t0 = System.nanoTime();
            List<String> dead = c.collectGarbage(GcAction.RETURN_DEAD, List.of(), StoreClient.NO_LIMIT).paths();
            long t1 = System.nanoTime();
            List<String> deleted = c.collectGarbage(GcAction.DELETE_DEAD, List.of(), StoreClient.NO_LIMIT).paths();
            long t2 = System.nanoTime();
            Table t = new Table(String.format("GcBench: %,d text paths added in %.1f s, half unreachable, %s",
                    n, addSecs, daemon.describe()), "action", "paths", "seconds");
            t.row("return dead", dead.size(), String.format("%.2f", (t1 - t0) / 1e9));
            t.row("delete dead", deleted.size(), String.format("%.2f", (t2 - t1) / 1e9));
            t.print();
            assertTrue(dead.containsAll(List.of(added).subList(half, n)), "the unreachable half is dead");
            assertTrue(deleted.containsAll(List.of(added).subList(half, n)), "and deleted");
            assertTrue(c.isValidPath(added[half - 1]), "a root survives");
        }
    }
}
