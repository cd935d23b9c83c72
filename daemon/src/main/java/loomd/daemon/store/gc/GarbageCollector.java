package loomd.daemon.store.gc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcLock;
import loomd.daemon.store.roots.GcProbe;
import loomd.daemon.store.roots.RootFinder;
import loomd.posix.Cpu;
import loomd.protocol.wire.Utf8Order;

/**
 * loomd's collector: one {@link #collect} per {@code wopCollectGarbage}, following the protocol in
 * the package documentation. Blocking throughout (file system, locker, database): call it from a
 * platform thread. Collections exclude each other through {@code gc.lock}.
 */
public final class GarbageCollector {
    /** Paths per deletion chunk without a byte limit: one transaction, one stripe set. */
    static final int CHUNK = 64;
    /** Platform threads unlinking: unlink is mostly waiting on the file system's journal. */
    static final int DELETERS = 4;
    /** How much nicer the collector's threads are than the daemon ({@code nice}'s default increment). */
    static final int NICE = 10;

    private final StoreConfig config;
    private final StoreDatabase db;
    private final FileLocker locker;
    private final Consumer<Collection<String>> forget;
    private final RootGate gate;
    private final TempRootSource temps;
    private final GcProbe probe;
    private final Random random = new Random();

    /**
     * @param forget drops cached answers about paths this collector invalidated
     * @param gate the gate sessions add their temp roots through
     * @param probe the store's, through which this process's sessions learn that this collector holds gc.lock
     */
    public GarbageCollector(StoreConfig config, StoreDatabase db, FileLocker locker,
                            Consumer<Collection<String>> forget, RootGate gate, TempRootSource temps, GcProbe probe) {
        this.config = config;
        this.db = db;
        this.locker = locker;
        this.forget = forget;
        this.gate = gate;
        this.temps = temps;
        this.probe = probe;
    }

    /** Runs one collection; {@code info} gets upstream's progress lines, in order. */
    public GcResult collect(GcRequest request, Consumer<String> info) {
        if (request.action().deletes()) deleteReserved();
        ExecutorService pool = Executors.newFixedThreadPool(DELETERS, backgroundThreads("loomd-gc-delete-"));
        try {
            Deletion deletion;
            GcResult early;
            try (FileLocker.Owner lock = lockGc(info); Cover cover = new Cover(probe)) {
                info.accept("finding garbage collector roots...");
                try (TempRootSource.Snapshot snapshot = temps.open(info)) {
                    Marked marked = mark(request, snapshot, info);
                    deletion = new Deletion(config, db, gate, snapshot, forget, info, pool, request);
                    early = select(request, marked, deletion, info);
                }
            }
            if (early != null) return early;
            deletion.emptyTrash();
            info.accept("deleting unused links...");
            Links.Cleaned links = Links.clean(config.physicalStore().resolve(".links"));
            deletion.addFreed(links.freed());
            info.accept(links.note());
            return new GcResult(deletion.deleted(), deletion.freed());
        } finally {
            pool.shutdown();
        }
    }

    /**
     * Platform threads {@link #NICE} nicer than the daemon: on a busy machine the scheduler then serves the sessions'
     * threads (adds, builds) first, and a collection takes the CPU they leave. The store's single
     * writer stays at normal priority: sessions' registrations go through it too.
     */
    public static ThreadFactory backgroundThreads(String prefix) {
        ThreadFactory platform = Thread.ofPlatform().name(prefix, 0).daemon(true).factory();
        return task -> platform.newThread(() -> {
            Cpu.lowerThisThreadsPriority(NICE);
            task.run();
        });
    }

    /** This process's sessions create temp-roots files under the collector's gc.lock meanwhile. */
    private record Cover(GcProbe probe) implements AutoCloseable {
        Cover {
            probe.ownCollectorHolds(true);
        }

        @Override
        public void close() {
            probe.ownCollectorHolds(false);
        }
    }

    private void deleteReserved() {
        try {
            Files.deleteIfExists(config.dbDir().resolve("reserved"));
        } catch (IOException e) {
            // as upstream: a collection goes on without it
        }
    }

    private FileLocker.Owner lockGc(Consumer<String> info) {
        return GcLock.lockExclusive(config.stateDir(), locker, "gc", () -> info.accept(GcLock.WAIT_MESSAGE));
    }

    /** The graph, the live set and the roots of invalid entries. */
    record Marked(GcGraph graph, BitSet live, Set<String> tempRoots) {
        boolean isLive(int id) {
            return live.get(id);
        }
    }

    Marked mark(GcRequest request, TempRootSource.Snapshot snapshot, Consumer<String> info) {
        String store = config.storeDir().path();
        GcGraph graph = db.scan(d -> GcGraph.load(d, store));
        Set<String> rootPaths = new HashSet<>(snapshot.roots());
        rootPaths.addAll(new RootFinder(config.storeDir(), config.stateDir(), p -> graph.find(p) >= 0, info)
                .findRoots().values());
        rootPaths.addAll(new RuntimeRoots(config.storeDir(), config.physicalStore()).find());
        GcGraph.IntList ids = new GcGraph.IntList();
        for (String p : rootPaths) {
            int id = graph.find(p);
            if (id >= 0) ids.add(id);
        }
        BitSet live = graph.mark(ids.toArray(), request.keepDerivations(), request.keepOutputs());
        return new Marked(graph, live, snapshot.roots());
    }

    /** The actions; null for a delete action that ran (the caller finishes it), else the reply. */
    private GcResult select(GcRequest request, Marked marked, Deletion deletion, Consumer<String> info) {
        if (request.action() == GcRequest.Action.DELETE_SPECIFIC) {
            deletion.prepareTrash();
            deleteSpecific(request, marked, deletion);
            return null;
        }
        if (request.maxFreed() == 0) {
            return request.action().deletes() ? null : new GcResult(new TreeSet<>(Utf8Order.COMPARATOR), 0);
        }
        if (request.action() == GcRequest.Action.DELETE_DEAD) {
            deletion.prepareTrash();
            info.accept("deleting garbage...");
        } else {
            info.accept("determining live/dead paths...");
        }
        // Sorted sets of every store path cost a second of CPU on a big store: only for the replies.
        boolean listing = !request.action().deletes();
        SortedSet<String> live = new TreeSet<>(Utf8Order.COMPARATOR);
        SortedSet<String> dead = new TreeSet<>(Utf8Order.COMPARATOR);
        List<Deletion.Unit> invalid = new ArrayList<>();
        List<Integer> valid = new ArrayList<>();
        String store = config.storeDir().path();
        GcGraph g = marked.graph();
        for (String name : readStore()) {
            String path = store + "/" + name;
            int id = g.find(path);
            if (id >= 0) {
                valid.add(id);
            } else if (marked.tempRoots().contains(path)) {
                if (listing) live.add(path);
            } else if (!isProtectedLock(path, marked)) {
                if (listing) dead.add(path);
                invalid.add(Deletion.Unit.invalid(path));
            }
        }
        // With a limit, which paths go first matters: upstream's random choice. Without one, every
        // dead path goes, and the order only matters to the database: newest rows first (a referrer
        // is registered after its references, and graph ids follow row ids) keeps each transaction's
        // deletes on neighbouring B-tree pages, a fraction of the pages random order dirties.
        if (request.unlimited()) valid.sort(Collections.reverseOrder());
        else Collections.shuffle(valid, random);
        List<Integer> deadIds = new ArrayList<>();
        for (int id : valid) {
            if (marked.isLive(id)) {
                if (listing) live.add(g.path(id));
            } else {
                if (listing) dead.add(g.path(id));
                deadIds.add(id);
            }
        }
        return switch (request.action()) {
            case RETURN_LIVE -> new GcResult(live, 0);
            case RETURN_DEAD -> new GcResult(dead, 0);
            default -> {
                deletion.run(invalid);
                if (!deletion.stopped()) deletion.run(referrersFirst(g, deadIds, marked));
                yield null;
            }
        };
    }

    private static boolean isProtectedLock(String path, Marked marked) {
        String base = Deletion.lockedItem(path);
        return base != null && marked.tempRoots().contains(base);
    }

    private void deleteSpecific(GcRequest request, Marked marked, Deletion deletion) {
        GcGraph g = marked.graph();
        for (String path : request.paths()) {
            if (!config.storeDir().isStorePath(path)) {
                throw new StoreException("path `" + path + "' is not in the store");
            }
            int id = g.find(path);
            boolean dead = id >= 0 ? !marked.isLive(id)
                    : !marked.tempRoots().contains(path) && !isProtectedLock(path, marked);
            if (!dead) throw stillAlive(path);
            List<Deletion.Unit> units = id >= 0 ? referrersFirst(g, List.of(id), marked)
                    : List.of(Deletion.Unit.invalid(path));
            if (deletion.run(units).contains(path)) throw stillAlive(path);
            if (deletion.stopped()) return;
        }
    }

    private static StoreException stillAlive(String path) {
        return new StoreException("cannot delete path `" + path + "' since it is still alive");
    }

    /**
     * The dead paths {@code starts}, each preceded by its (dead) referrers, recursively, each once:
     * upstream's deletePathRecursive order, iteratively so a long chain cannot overflow the stack.
     */
    static List<Deletion.Unit> referrersFirst(GcGraph g, List<Integer> starts, Marked marked) {
        List<Deletion.Unit> out = new ArrayList<>();
        BitSet seen = new BitSet(g.size());
        int[] stack = new int[16];
        int[] next = new int[16];
        int[][] referrers = new int[16][];
        for (int start : starts) {
            if (seen.get(start)) continue;
            seen.set(start);
            int depth = 0;
            stack[0] = start;
            next[0] = 0;
            referrers[0] = g.referrers(start);
            while (depth >= 0) {
                int p = stack[depth];
                if (next[depth] < referrers[depth].length) {
                    int r = referrers[depth][next[depth]++];
                    if (seen.get(r) || marked.isLive(r)) continue;
                    seen.set(r);
                    if (++depth == stack.length) {
                        stack = Arrays.copyOf(stack, depth * 2);
                        next = Arrays.copyOf(next, depth * 2);
                        referrers = Arrays.copyOf(referrers, depth * 2);
                    }
                    stack[depth] = r;
                    next[depth] = 0;
                    referrers[depth] = g.referrers(r);
                } else {
                    out.add(new Deletion.Unit(g.path(p), p, g.rowId(p), g.narSize(p)));
                    referrers[depth] = null;
                    depth--;
                }
            }
        }
        return out;
    }

    /** What {@link #measureMark} measured: for the benchmark harness. */
    public record MarkStats(int paths, int live, long loadNanos, long markNanos, long graphBytes) {}

    /**
     * Loads the graph of {@code db} and marks from {@code roots} (keep-derivations on), timing
     * each step and sizing the graph's arrays: the benchmark's view of steps 5 of the protocol.
     */
    public static MarkStats measureMark(StoreDatabase db, String storeDir, List<String> roots) {
        long t0 = System.nanoTime();
        GcGraph graph = db.scan(d -> GcGraph.load(d, storeDir));
        long t1 = System.nanoTime();
        GcGraph.IntList ids = new GcGraph.IntList();
        for (String p : roots) {
            int id = graph.find(p);
            if (id >= 0) ids.add(id);
        }
        BitSet live = graph.mark(ids.toArray(), true, false);
        long t2 = System.nanoTime();
        return new MarkStats(graph.size(), live.cardinality(), t1 - t0, t2 - t1, graph.heapBytes());
    }

    /** The store's entries in readdir order, without {@code .links} and {@code trash}. */
    private List<String> readStore() {
        List<String> names = new ArrayList<>();
        Path store = config.physicalStore();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.equals(".links") && !name.equals("trash")) names.add(name);
            }
        } catch (IOException e) {
            throw new StoreException("reading directory `" + config.storeDir().path() + "': " + e.getMessage(), e);
        }
        return names;
    }
}
