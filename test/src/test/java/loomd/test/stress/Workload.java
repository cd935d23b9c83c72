package loomd.test.stress;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.GcAction;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import loomd.test.support.RawClient;
import loomd.test.support.TestNar;

/**
 * The campaign's clients: each one a loop of sessions of random operations (seeded, so a run can be
 * repeated), through the real client library over the Unix socket. A client that loses its
 * connection (the daemon killed, a fault) reconnects and goes on.
 *
 * <p>What counts as acknowledged: a path the daemon said it added or built <em>and</em> then took as
 * an indirect root. An unrooted path is fair game for a collection, so it is judged only within its
 * own session (its temp root keeps it valid until the session ends).
 */
final class Workload {
    /** The campaign's mix, in the order of {@link #step}'s dice. */
    enum Op { ADD_TEXT, ADD_NAR, QUERY, EXPORT_IMPORT, BUILD, GC_DEAD, GC_DELETE, GC_SPECIFIC, VERIFY, OPTIMISE, DISCONNECT }

    private final Supplier<DaemonProcess> daemon;
    private final Path rootsDir;
    private final BuildDag dag;
    private final long seed;
    private final ConcurrentHashMap<String, String> acknowledged = new ConcurrentHashMap<>();
    private final Tally tally;
    private final PauseGate gate;
    private final AtomicLong rootCounter = new AtomicLong();
    private volatile boolean stopped;

    Workload(Supplier<DaemonProcess> daemon, Path rootsDir, BuildDag dag, long seed, Tally tally, PauseGate gate) {
        this.daemon = daemon;
        this.rootsDir = rootsDir;
        this.dag = dag;
        this.seed = seed;
        this.tally = tally;
        this.gate = gate;
    }

    Map<String, String> acknowledged() { return acknowledged; }

    void stop() { stopped = true; }

    /** One client until {@link #stop}; never throws. */
    void client(int id) {
        Random random = new Random(seed * 1_000_003 + id);
        while (!stopped) {
            try (StoreClient c = daemon.get().client()) {
                Map<String, String> sessionPaths = new TreeMap<>();
                for (int n = 0; n < 50 + random.nextInt(200) && !stopped; n++) {
                    if (!gate.enter()) continue;
                    long start = System.nanoTime();
                    Op op = pick(random);
                    try {
                        if (op == Op.DISCONNECT) {
                            disconnectMidRequest(random);
                            break;
                        }
                        step(c, op, id, random, sessionPaths);
                        checkSessionPaths(c, sessionPaths, random);
                    } catch (DaemonException e) {
                        tally.daemonError(op, e.getMessage());
                    } finally {
                        tally.op(op, System.nanoTime() - start);
                        gate.exit();
                    }
                }
            } catch (IOException | RuntimeException e) {
                tally.connectionLost(e);
                pause(100);
            }
        }
    }

    private static Op pick(Random r) {
        int d = r.nextInt(1000);
        if (d < 300) return Op.ADD_TEXT;
        if (d < 400) return Op.ADD_NAR;
        if (d < 700) return Op.QUERY;
        if (d < 760) return Op.EXPORT_IMPORT;
        if (d < 950) return Op.BUILD;
        if (d < 962) return Op.GC_DEAD;
        if (d < 970) return Op.GC_DELETE;
        if (d < 980) return Op.GC_SPECIFIC;
        if (d < 984) return Op.VERIFY;
        if (d < 988) return Op.OPTIMISE;
        return Op.DISCONNECT;
    }

    private void step(StoreClient c, Op op, int id, Random r, Map<String, String> sessionPaths) throws IOException {
        switch (op) {
            case ADD_TEXT -> {
                String text = "client " + id + " " + r.nextLong() + "\n".repeat(r.nextInt(5));
                String path = c.addTextToStore("text-" + id, text, someAcknowledged(r, 2));
                maybeRoot(c, r, path, "sha256:" + sha256Hex(TestNar.file(text)), sessionPaths);
            }
            case ADD_NAR -> {
                byte[] nar = tree(1 + r.nextInt(4), 100 + r.nextInt(20_000), r.nextLong());
                String path = c.addToStore("tree-" + id, true, "sha256", new ByteArrayInputStream(nar));
                maybeRoot(c, r, path, "sha256:" + sha256Hex(nar), sessionPaths);
            }
            case QUERY -> query(c, r);
            case EXPORT_IMPORT -> exportImport(c, r);
            case BUILD -> build(c, r, sessionPaths);
            case GC_DEAD -> c.collectGarbage(GcAction.RETURN_DEAD, List.of(), 0);
            case GC_DELETE -> c.collectGarbage(GcAction.DELETE_DEAD, List.of(), r.nextBoolean() ? Long.MAX_VALUE : 1 << 20);
            case GC_SPECIFIC -> deleteSpecific(c, r);
            case VERIFY -> c.verifyStore(r.nextBoolean(), false);
            case OPTIMISE -> c.optimiseStore();
            case DISCONNECT -> throw new AssertionError();
        }
    }

    /** Three of four new paths become indirect roots, and only then acknowledged. */
    private void maybeRoot(StoreClient c, Random r, String path, String narHash, Map<String, String> sessionPaths)
            throws IOException {
        sessionPaths.put(path, narHash);
        if (r.nextInt(4) == 0) return;
        Path link = rootsDir.resolve("root-" + rootCounter.incrementAndGet());
        Files.createSymbolicLink(link, Path.of(path));
        c.addIndirectRoot(link.toString());
        acknowledged.put(path, narHash);
    }

    private List<String> someAcknowledged(Random r, int max) {
        List<String> all = new ArrayList<>(acknowledged.keySet());
        List<String> some = new ArrayList<>();
        for (int i = 0; i < max && !all.isEmpty(); i++) some.add(all.get(r.nextInt(all.size())));
        return some.stream().distinct().sorted().toList();
    }

    private void query(StoreClient c, Random r) throws IOException {
        for (String p : someAcknowledged(r, 3)) {
            if (!c.isValidPath(p)) tally.violation("acknowledged path reported invalid by the daemon: " + p);
            c.queryPathInfo(p);
            c.queryReferrers(p);
            tally.queried(3);
        }
    }

    private void exportImport(StoreClient c, Random r) throws IOException {
        List<String> some = someAcknowledged(r, 2);
        if (some.isEmpty()) return;
        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        c.exportPaths(some, false, false, bundle);
        c.importPaths(new ByteArrayInputStream(bundle.toByteArray()));
    }

    private void build(StoreClient c, Random r, Map<String, String> sessionPaths) throws IOException {
        BuildDag.Node node = r.nextBoolean() ? dag.pick(r) : dag.fresh(c, r);
        try {
            c.buildPaths(List.of(node.drvPath()), BuildMode.NORMAL);
        } catch (DaemonException e) {
            tally.buildFailed(e.getMessage());
            return;
        }
        tally.built();
        String hash = "sha256:" + c.queryPathInfo(node.outPath()).narHash();
        maybeRoot(c, r, node.outPath(), hash, sessionPaths);
    }

    private void deleteSpecific(StoreClient c, Random r) throws IOException {
        List<String> dead = c.deadPaths();
        if (dead.isEmpty()) return;
        try {
            c.deletePaths(List.of(dead.get(r.nextInt(dead.size()))), 0);
        } catch (DaemonException e) {
            // Live again since the listing (a build or an add took it): upstream's refusal, not a fault.
            if (!e.getMessage().contains("is still alive")) throw e;
        }
    }

    /** A session's own paths stay valid while it is open (its temp roots), GC or not. */
    private void checkSessionPaths(StoreClient c, Map<String, String> sessionPaths, Random r) throws IOException {
        if (sessionPaths.isEmpty() || r.nextInt(8) != 0) return;
        for (String p : sessionPaths.keySet()) {
            if (!c.isValidPath(p)) tally.violation("temp-rooted path of an open session became invalid: " + p);
        }
    }

    /** Half a request, then the socket closed: the daemon must drop the session and lose nothing. */
    private void disconnectMidRequest(Random r) throws IOException {
        try (RawClient raw = daemon.get().raw().handshake()) {
            raw.out.writeU64(8); // add-text-to-store
            raw.out.writeString("cut-" + r.nextInt());
            raw.out.writeU64(1 << 20); // the text's length, never sent in full
            byte[] part = new byte[r.nextInt(4096)];
            raw.out.writeRaw(part, 0, part.length);
            raw.out.flush();
        }
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A directory of {@code files} pseudo-random files (some executable) of about {@code size} bytes. */
    static byte[] tree(int files, int size, long seed) {
        Random r = new Random(seed);
        Map<String, TestNar.Node> entries = new TreeMap<>();
        for (int i = 0; i < files; i++) {
            byte[] data = new byte[size + r.nextInt(size)];
            r.nextBytes(data);
            entries.put("f" + i, new TestNar.File(data, i % 3 == 0));
        }
        return TestNar.of(new TestNar.Dir(entries));
    }

    private static void pause(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
