package loomd.test.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.GcAction;
import loomd.protocol.client.PathInfo;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/**
 * Garbage collection racing with builds, judged by what was live (issue 15): builder clients run
 * sessions of builds (new derivations, whose builders really run, and nodes of the {@link BuildDag}),
 * adds and root churn, and record in a {@link LiveLedger} when each path was live for them; collector
 * clients run delete-dead, delete-specific and return-dead back to back. The run stops once it has
 * done {@code builds} builds that ran a builder and {@code collections} delete-dead collections (or
 * at {@code limit}); then one last collection, and every deletion the {@link DeletionLog} saw is
 * judged against the leases. Nothing is injected: any failure of a build or a client is a violation.
 */
final class GcLivenessRun {
    record Config(int clients, int collectors, long seed, int builds, int collections, Duration limit, int dagSize) {}

    record Result(long builtRunning, long builtValid, long adds, long unroots, long collections,
                  long collectionsDuringBuilds, long specificDeletes, long deletions, int leases,
                  double seconds, List<String> violations) {
        String table() {
            return String.format("builds that ran a builder %d, builds of valid outputs %d, adds %d, roots removed %d%n"
                    + "delete-dead collections %d (%d overlapping a running build), delete-specific %d%n"
                    + "paths deleted %d, leases %d, %.0f s, %.0f builds/min%n", builtRunning, builtValid, adds,
                    unroots, collections, collectionsDuringBuilds, specificDeletes, deletions, leases, seconds,
                    (builtRunning + builtValid) * 60 / seconds);
        }
    }

    /** A client's own indirect root: only its owner removes it, so its lease is the owner's to end. */
    private record Root(Path link, String path, LiveLedger.Lease lease) {}

    private final Config config;
    private final Path root;
    private final LiveLedger ledger = new LiveLedger();
    private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    private final Map<String, String> rooted = new ConcurrentHashMap<>();
    private final LongAdder builtRunning = new LongAdder();
    private final LongAdder builtValid = new LongAdder();
    private final LongAdder adds = new LongAdder();
    private final LongAdder unroots = new LongAdder();
    private final LongAdder collections = new LongAdder();
    private final LongAdder collectionsDuringBuilds = new LongAdder();
    private final LongAdder specificDeletes = new LongAdder();
    private final AtomicLong buildsInFlight = new AtomicLong();
    private final AtomicLong buildStarts = new AtomicLong();
    private final AtomicLong rootCounter = new AtomicLong();
    private volatile boolean stopped;

    GcLivenessRun(Config config, Path root) {
        this.config = config;
        this.root = root;
    }

    LiveLedger ledger() { return ledger; }

    Result run() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.builder(root).args("--max-jobs=8").start()) {
            return run(daemon);
        }
    }

    Result run(DaemonProcess daemon) throws Exception {
        DeletionLog log = DeletionLog.install(daemon.dbFile());
        Path rootsDir = Files.createDirectories(root.resolve("client-roots"));
        BuildDag dag = BuildDag.create(daemon, root.resolve("work"), rootsDir, config.dagSize(), 10, config.seed());
        long started = System.nanoTime();
        long deadline = started + config.limit().toNanos();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < config.clients(); i++) {
                int id = i;
                pool.submit(() -> builder(daemon, dag, rootsDir, id));
            }
            for (int i = 0; i < config.collectors(); i++) {
                int id = i;
                pool.submit(() -> collector(daemon, id));
            }
            while (System.nanoTime() < deadline && (builtRunning.sum() < config.builds()
                    || collections.sum() < config.collections())) {
                Thread.sleep(200);
            }
            stopped = true;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        try (StoreClient c = daemon.client()) {
            c.collectGarbage(GcAction.DELETE_DEAD, List.of(), StoreClient.NO_LIMIT);
        }
        List<DeletionLog.Deletion> deletions = log.read();
        List<String> found = new ArrayList<>(violations);
        found.addAll(ledger.violations(deletions));
        StoreInvariants invariants = new StoreInvariants(daemon.dbFile(), daemon.physicalStoreDir(), daemon.storeDir());
        found.addAll(invariants.check(rooted, false));
        return new Result(builtRunning.sum(), builtValid.sum(), adds.sum(), unroots.sum(), collections.sum(),
                collectionsDuringBuilds.sum(), specificDeletes.sum(), deletions.size(), ledger.leaseCount(), seconds,
                found);
    }

    /** Sessions of builds, adds, root removals and checks, until stopped. */
    private void builder(DaemonProcess daemon, BuildDag dag, Path rootsDir, int id) {
        Random r = new Random(config.seed() * 7919 + id);
        List<Root> roots = new ArrayList<>();
        while (!stopped) {
            List<LiveLedger.Lease> session = new ArrayList<>();
            try (StoreClient c = daemon.client()) {
                for (int n = 0, end = 10 + r.nextInt(40); n < end && !stopped; n++) {
                    int d = r.nextInt(100);
                    if (d < 35) build(c, dag.fresh(c, r), true, r, session, roots, rootsDir);
                    else if (d < 55) build(c, dag.pick(r), false, r, session, roots, rootsDir);
                    else if (d < 80) addText(c, id, r, session, roots, rootsDir);
                    else if (d < 92 || roots.size() > 40) unroot(roots, r);
                    else checkRooted(c, roots, r);
                }
                // The session's temp roots end with it: its leases end first.
                session.forEach(LiveLedger.Lease::close);
            } catch (IOException | RuntimeException e) {
                session.forEach(LiveLedger.Lease::close);
                if (!stopped) violations.add("builder client " + id + ": " + e);
            }
        }
    }

    private void build(StoreClient c, BuildDag.Node node, boolean fresh, Random r, List<LiveLedger.Lease> session,
            List<Root> roots, Path rootsDir) throws IOException {
        if (fresh) {
            session.add(ledger.open(node.drvPath(), LiveLedger.Why.SESSION_TEMP_ROOT));
            ledger.references(node.drvPath(), c.queryPathInfo(node.drvPath()).references());
        }
        boolean wasValid = c.isValidPath(node.outPath());
        buildsInFlight.incrementAndGet();
        buildStarts.incrementAndGet();
        try {
            c.buildPaths(List.of(node.drvPath()), BuildMode.NORMAL);
        } catch (DaemonException e) {
            violations.add("build of " + node.drvPath() + " failed: " + e.getMessage());
            return;
        } finally {
            buildsInFlight.decrementAndGet();
        }
        (wasValid ? builtValid : builtRunning).increment();
        // The daemon took the outputs as the session's temp roots before it answered.
        session.add(ledger.open(node.outPath(), LiveLedger.Why.SESSION_TEMP_ROOT));
        PathInfo info = c.queryPathInfo(node.outPath());
        ledger.references(node.outPath(), info.references());
        if (r.nextInt(3) != 0) addRoot(c, rootsDir, roots, node.outPath(), info);
    }

    private void addText(StoreClient c, int id, Random r, List<LiveLedger.Lease> session, List<Root> roots,
            Path rootsDir) throws IOException {
        List<String> refs = new ArrayList<>();
        for (int i = 0; i < 2 && !roots.isEmpty(); i++) refs.add(roots.get(r.nextInt(roots.size())).path());
        List<String> sorted = refs.stream().distinct().sorted().toList();
        String path = c.addTextToStore("live-" + id, "client " + id + " " + r.nextLong(), sorted);
        adds.increment();
        session.add(ledger.open(path, LiveLedger.Why.SESSION_TEMP_ROOT));
        ledger.references(path, sorted);
        if (r.nextBoolean()) addRoot(c, rootsDir, roots, path, c.queryPathInfo(path));
    }

    private void addRoot(StoreClient c, Path rootsDir, List<Root> roots, String path, PathInfo info)
            throws IOException {
        Path link = rootsDir.resolve("live-" + rootCounter.incrementAndGet());
        Files.createSymbolicLink(link, Path.of(path));
        c.addIndirectRoot(link.toString());
        roots.add(new Root(link, path, ledger.open(path, LiveLedger.Why.INDIRECT_ROOT)));
        rooted.merge(path, "sha256:" + info.narHash(), (a, b) -> a);
    }

    /** Ends a root: its lease first, then the link (a collection may take the path from then on). */
    private void unroot(List<Root> roots, Random r) throws IOException {
        if (roots.isEmpty()) return;
        Root gone = roots.remove(r.nextInt(roots.size()));
        gone.lease().close();
        if (roots.stream().noneMatch(x -> x.path().equals(gone.path()))) rooted.remove(gone.path());
        Files.delete(gone.link());
        unroots.increment();
    }

    private void checkRooted(StoreClient c, List<Root> roots, Random r) throws IOException {
        if (roots.isEmpty()) return;
        String p = roots.get(r.nextInt(roots.size())).path();
        if (!c.isValidPath(p)) violations.add("rooted path reported invalid: " + p);
    }

    /** Collections back to back: delete-dead (whole or bounded), a specific dead path, a listing. */
    private void collector(DaemonProcess daemon, int id) {
        Random r = new Random(config.seed() * 104_729 + id);
        while (!stopped) {
            try (StoreClient c = daemon.client()) {
                for (int n = 0; n < 20 && !stopped; n++) {
                    int d = r.nextInt(10);
                    if (d < 6) deleteDead(c, r);
                    else if (d < 9) deleteSpecific(c, r);
                    else c.collectGarbage(GcAction.RETURN_DEAD, List.of(), 0);
                }
            } catch (IOException | RuntimeException e) {
                if (!stopped) violations.add("collector " + id + ": " + e);
            }
        }
    }

    private void deleteDead(StoreClient c, Random r) throws IOException {
        long startsBefore = buildStarts.get();
        boolean running = buildsInFlight.get() > 0;
        c.collectGarbage(GcAction.DELETE_DEAD, List.of(), r.nextBoolean() ? StoreClient.NO_LIMIT : 64 << 10);
        collections.increment();
        if (running || buildsInFlight.get() > 0 || buildStarts.get() != startsBefore) collectionsDuringBuilds.increment();
    }

    private void deleteSpecific(StoreClient c, Random r) throws IOException {
        List<String> dead = new ArrayList<>(c.deadPaths());
        if (dead.isEmpty()) return;
        Collections.shuffle(dead, r);
        try {
            c.deletePaths(dead.subList(0, Math.min(3, dead.size())), 0);
            specificDeletes.increment();
        } catch (DaemonException e) {
            // Live again since the listing (a build or an add took it): upstream's refusal.
            if (!e.getMessage().contains("is still alive")) violations.add("delete-specific: " + e.getMessage());
        }
    }
}
