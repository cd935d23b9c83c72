package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import loomd.daemon.store.gc.GcRequest;
import loomd.daemon.store.gc.GcRequest.Action;
import loomd.daemon.store.gc.GcResult;
import loomd.daemon.store.gc.TempRootSource;
import loomd.protocol.hash.HashAlgorithm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The collector against a real store: each action, each kind of root, the limit, the races. */
@Timeout(60)
class GarbageCollectorTest {
    static final long UNLIMITED = -1;

    @TempDir Path dir;
    StoreConfig config;
    LocalStore store;
    List<String> messages = new ArrayList<>();

    @BeforeEach
    void open() throws IOException {
        config = TestStores.config(dir);
        store = TestStores.open(config);
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** Adds a text path in a session that is closed at once: nothing roots it. */
    String unrooted(String name, String text, String... refs) {
        try (SessionRoots roots = store.roots().openSessionRoots()) {
            return store.adds().addTextToStore(name, text.getBytes(StandardCharsets.UTF_8), new TreeSet<>(List.of(refs)), roots);
        }
    }

    /** A directory path (moved to the trash when deleted), unrooted. */
    String unrootedTree(String name) throws IOException {
        Path tree = Files.createDirectories(dir.resolve("src-" + name));
        Files.writeString(tree.resolve("file"), "contents of " + name);
        try (SessionRoots roots = store.roots().openSessionRoots()) {
            return store.adds().addStaged(name, true, HashAlgorithm.SHA256,
                    store.adds().stageNar(new ByteArrayInputStream(TestStores.nar(tree))), roots);
        }
    }

    GcResult gc(Action action, long maxFreed, String... paths) {
        return store.gc().collectGarbage(new GcRequest(action, List.of(paths), maxFreed, false, true, true),
                messages::add);
    }

    boolean onDisk(String path) {
        return Files.exists(config.physical(path), LinkOption.NOFOLLOW_LINKS);
    }

    /** Runs {@code work} on another thread, as a session would; true if it ended within {@code limit}. */
    static boolean aside(Runnable work, java.time.Duration limit) {
        try {
            return Thread.ofVirtual().start(work).join(limit);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    void permanentRoot(String name, String path) throws IOException {
        Files.createSymbolicLink(config.stateDir().resolve("gcroots").resolve(name), Path.of(path));
    }

    @Test
    void returnDeadAndLiveFollowReferencesAndListStaleLocks() throws IOException {
        String a = unrooted("a.txt", "a");
        String b = unrooted("b.txt", "b", a);
        String c = unrooted("c.txt", "c", a);
        permanentRoot("c", c);
        Path lock = config.physical(StoreDirPaths.sibling(a, "failed-build.lock"));
        Files.createFile(lock);

        GcResult dead = gc(Action.RETURN_DEAD, UNLIMITED);
        assertEquals(new TreeSet<>(Set.of(b, StoreDirPaths.sibling(a, "failed-build.lock"))), dead.paths());
        assertEquals(0, dead.bytesFreed());
        assertEquals(List.of("finding garbage collector roots...", "determining live/dead paths..."), messages);
        assertTrue(gc(Action.RETURN_LIVE, UNLIMITED).paths().containsAll(Set.of(a, c)));
        assertTrue(onDisk(b) && store.queries().isValidPath(b), "return-dead deletes nothing");
    }

    @Test
    void deleteDeadRemovesGarbageAndReportsUpstreamsLines() throws IOException {
        String a = unrooted("a.txt", "a");
        String b = unrooted("b.txt", "bb", a);
        String tree = unrootedTree("tree");
        String kept = unrooted("kept.txt", "kept");
        permanentRoot("kept", kept);

        GcResult r = gc(Action.DELETE_DEAD, UNLIMITED);
        assertEquals(new TreeSet<>(Set.of(a, b, tree)), r.paths());
        assertFalse(store.queries().isValidPath(a) || store.queries().isValidPath(b) || store.queries().isValidPath(tree));
        assertFalse(onDisk(a) || onDisk(b) || onDisk(tree));
        assertTrue(onDisk(kept) && store.queries().isValidPath(kept));
        assertEquals(1 + 2 + "contents of tree".length(), r.bytesFreed(), "file sizes, the trash included");
        assertEquals("deleting garbage...", messages.get(1));
        assertTrue(messages.indexOf("[0 MiB] deleting '" + b + "'") < messages.indexOf("[0 MiB] deleting '" + a + "'"),
                "referrers first: " + messages);
        assertEquals(List.of("deleting `/gnu/store/trash'", "deleting unused links...",
                "note: currently hard linking saves -0.00 MiB"), messages.subList(messages.size() - 3, messages.size()));
        assertFalse(Files.exists(config.physicalStore().resolve("trash")));
    }

    @Test
    void deleteSpecificDeletesDeadAndRefusesLive() {
        String victim = unrooted("gc-victim.txt", "delete me\n");
        GcResult r = gc(Action.DELETE_SPECIFIC, UNLIMITED, victim);
        assertEquals(Set.of(victim), r.paths());
        assertEquals(10, r.bytesFreed());
        assertEquals(List.of("finding garbage collector roots...", "[0 MiB] deleting '" + victim + "'",
                "deleting `/gnu/store/trash'", "deleting unused links...",
                "note: currently hard linking saves -0.00 MiB"), messages);
        assertFalse(store.queries().isValidPath(victim));

        try (SessionRoots roots = store.roots().openSessionRoots()) {
            String live = store.adds().addTextToStore("live.txt", "still alive\n".getBytes(StandardCharsets.UTF_8),
                    new TreeSet<>(), roots);
            StoreException e = assertThrows(StoreException.class, () -> gc(Action.DELETE_SPECIFIC, UNLIMITED, live));
            assertEquals("cannot delete path `" + live + "' since it is still alive", e.getMessage());
            assertTrue(store.queries().isValidPath(live) && onDisk(live));
        }
    }

    @Test
    void deleteSpecificTakesReferrersAlong() {
        String a = unrooted("a.txt", "a");
        String b = unrooted("b.txt", "b", a);
        assertEquals(Set.of(a, b), gc(Action.DELETE_SPECIFIC, UNLIMITED, a).paths());
        assertFalse(store.queries().isValidPath(b));
    }

    @Test
    void maxFreedStopsAfterTheFirstValidPath() throws IOException {
        for (int i = 0; i < 5; i++) unrooted("dead-" + i + ".txt", "dead " + i);
        Path lock = config.physical("/gnu/store/9w2ly75qxfddd3bqxnyh02q6j8di2c7s-build-failing.lock");
        Files.createFile(lock);
        GcResult r = gc(Action.DELETE_DEAD, 1);
        assertEquals(2, r.paths().size(), "the stale lock (0 bytes), then one path: " + r.paths());
        assertEquals("[0%] deleting '/gnu/store/9w2ly75qxfddd3bqxnyh02q6j8di2c7s-build-failing.lock'", messages.get(2));
        assertTrue(messages.get(3).startsWith("[0%] deleting '"));
        assertEquals("deleted or invalidated more than 1 bytes; stopping", messages.get(4));
        assertEquals(6, r.bytesFreed());
        assertEquals(4, store.queries().queryAllValidPaths().size());
    }

    @Test
    void guixUnlimitedShowsMegabytesNotPercent() {
        String victim = unrooted("v.txt", "v");
        gc(Action.DELETE_SPECIFIC, Long.MAX_VALUE, victim);
        assertEquals("[0 MiB] deleting '" + victim + "'", messages.get(1));
    }

    @Test
    void maxFreedZeroDoesNothing() {
        String a = unrooted("a.txt", "a");
        assertEquals(Set.of(), gc(Action.DELETE_DEAD, 0).paths());
        assertTrue(store.queries().isValidPath(a));
    }

    @Test
    void staleTempRootsFileOfDeadProcessIsRemovedAndProtectsNothing() throws IOException {
        String a = unrooted("a.txt", "a");
        Path stale = config.stateDir().resolve("temproots/424242");
        Files.write(stale, (a + "\0").getBytes(StandardCharsets.UTF_8));
        assertEquals(Set.of(a), gc(Action.RETURN_DEAD, UNLIMITED).paths());
        assertTrue(messages.contains("removing stale temporary roots file `" + stale + "'"));
        assertFalse(Files.exists(stale));
    }

    @Test
    void liveForeignTempRootsFileProtects() throws IOException {
        String a = unrooted("a.txt", "a");
        Path file = config.stateDir().resolve("temproots/424243");
        Files.write(file, (a + "\0").getBytes(StandardCharsets.UTF_8));
        // A classic fcntl lock of this JVM conflicts with the locker's OFD locks: a foreign owner.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileLock held = ch.lock(0, Long.MAX_VALUE, true)) {
            assertEquals(Set.of(), gc(Action.DELETE_DEAD, UNLIMITED).paths());
        }
        assertTrue(store.queries().isValidPath(a) && Files.exists(file));
    }

    @Test
    void sessionTempRootProtects() {
        try (SessionRoots roots = store.roots().openSessionRoots()) {
            String a = store.adds().addTextToStore("a.txt", "a".getBytes(StandardCharsets.UTF_8), new TreeSet<>(), roots);
            assertEquals(Set.of(), gc(Action.DELETE_DEAD, UNLIMITED).paths());
            assertTrue(store.queries().isValidPath(a));
        }
    }

    @Test
    void processesUsingStorePathsAreRoots() throws Exception {
        String env = unrooted("in-env.txt", "e");
        String cwd = unrootedTree("cwd");
        String dead = unrooted("dead.txt", "d");
        ProcessBuilder pb = new ProcessBuilder("sleep", "60").directory(config.physical(cwd).toFile());
        pb.environment().put("SOME_PATH", env + "/bin:/usr/bin");
        Process sleep = pb.start();
        try {
            assertEquals(Set.of(dead), gc(Action.DELETE_DEAD, UNLIMITED).paths());
            assertTrue(store.queries().isValidPath(env) && store.queries().isValidPath(cwd));
        } finally {
            sleep.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void keepDerivationsAndKeepOutputs() throws Exception {
        String out = unrooted("thing", "output");
        // The .drv as a foreign tool would register it (its text is not what this test is about).
        String drv = "/gnu/store/0mdqa9w1p6cmli6976v4wi0sw9r4p5pl-thing.drv";
        Files.writeString(config.physical(drv), "Derive(...)");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + config.dbDir().resolve("db.sqlite"));
             var st = c.createStatement()) {
            st.executeUpdate("insert into ValidPaths (path, hash, registrationTime, narSize) values ('" + drv
                    + "', 'sha256:00', 1, 100);");
            st.executeUpdate("insert into DerivationOutputs (drv, id, path) values ((select id from ValidPaths"
                    + " where path = '" + drv + "'), 'out', '" + out + "');");
            st.executeUpdate("update ValidPaths set deriver = '" + drv + "' where path = '" + out + "';");
        }
        permanentRoot("out", out);
        GcRequest keepDrv = new GcRequest(Action.RETURN_DEAD, List.of(), UNLIMITED, false, true, true);
        assertEquals(Set.of(), store.gc().collectGarbage(keepDrv, messages::add).paths());
        GcRequest noKeep = new GcRequest(Action.RETURN_DEAD, List.of(), UNLIMITED, false, false, true);
        assertEquals(Set.of(drv), store.gc().collectGarbage(noKeep, messages::add).paths());
        Files.delete(config.stateDir().resolve("gcroots/out"));
        permanentRoot("drv", drv);
        GcRequest keepOut = new GcRequest(Action.RETURN_DEAD, List.of(), UNLIMITED, true, false, true);
        assertEquals(Set.of(), store.gc().collectGarbage(keepOut, messages::add).paths());
        assertEquals(Set.of(out), store.gc().collectGarbage(noKeep, messages::add).paths());
    }

    @Test
    void tempRootAddedBetweenMarkAndDeleteIsNotDeleted() {
        String a = unrooted("a.txt", "a");
        String b = unrooted("b.txt", "b");
        SessionRoots late = store.roots().openSessionRoots();
        try {
            // A session's first root creates its file under a shared gc.lock, which waits for a
            // running collection: the session here is an established one.
            late.addTempRoot(unrooted("other.txt", "other"));
            UnaryOperator<TempRootSource> addAfterSnapshot = files -> info -> {
                TempRootSource.Snapshot s = files.open(info);
                // After the snapshot, before any deletion: from another thread, as a session would.
                aside(() -> late.addTempRoot(a), java.time.Duration.ofSeconds(50));
                return s;
            };
            GcResult r = store.gc().collectGarbage(new GcRequest(Action.DELETE_DEAD, List.of(), UNLIMITED, false,
                    true, true), messages::add, addAfterSnapshot);
            assertEquals(Set.of(b), r.paths());
            assertTrue(store.queries().isValidPath(a) && onDisk(a));
        } finally {
            late.close();
        }
    }

    @Test
    void pathReferencedAfterTheSnapshotIsKeptWithItsReferences() {
        String base = unrooted("base.txt", "base");
        String a = unrooted("a.txt", "a", base);
        String b = unrooted("b.txt", "b");
        String[] referrer = new String[1];
        SessionRoots late = store.roots().openSessionRoots();
        try {
            late.addTempRoot(unrooted("other.txt", "other"));
            // Before the first deletion chunk (the graph is loaded by then): a session registers a
            // new path referring to the dead `a', from another thread as a session would.
            UnaryOperator<TempRootSource> referLate = files -> info -> {
                TempRootSource.Snapshot s = files.open(info);
                return new TempRootSource.Snapshot() {
                    public Set<String> roots() {
                        return s.roots();
                    }

                    public void refresh() {
                        if (referrer[0] == null) {
                            aside(() -> referrer[0] = store.adds().addTextToStore("c.txt",
                                    "c".getBytes(StandardCharsets.UTF_8), new TreeSet<>(List.of(a)), late),
                                    java.time.Duration.ofSeconds(50));
                        }
                        s.refresh();
                    }

                    public void close() {
                        s.close();
                    }
                };
            };
            GcResult r = store.gc().collectGarbage(new GcRequest(Action.DELETE_DEAD, List.of(), UNLIMITED, false,
                    true, true), messages::add, referLate);
            assertEquals(Set.of(b), r.paths());
            for (String p : List.of(a, base, referrer[0])) {
                assertTrue(store.queries().isValidPath(p) && onDisk(p), p);
            }
        } finally {
            late.close();
        }
    }

    @Test
    void aSessionsFirstTempRootDoesNotWaitForTheCollection() throws Exception {
        String x = unrooted("x.txt", "x");
        String y = unrooted("y.txt", "y");
        SessionRoots fresh = store.roots().openSessionRoots();
        try {
            boolean[] done = new boolean[1];
            // While the collector holds gc.lock (between its temp-roots snapshot and its marking),
            // a session with no temp-roots file yet roots x: it must not wait for the collection.
            UnaryOperator<TempRootSource> rootDuring = files -> info -> {
                TempRootSource.Snapshot s = files.open(info);
                done[0] = aside(() -> fresh.addTempRoot(x), java.time.Duration.ofSeconds(10));
                return s;
            };
            GcResult r = store.gc().collectGarbage(new GcRequest(Action.DELETE_DEAD, List.of(), UNLIMITED, false,
                    true, true), messages::add, rootDuring);
            assertTrue(done[0], "the first temp root waited for the collection");
            assertEquals(Set.of(y), r.paths());
            assertTrue(store.queries().isValidPath(x) && onDisk(x));
        } finally {
            fresh.close();
        }
    }

    @Test
    void aDeletingCollectionFreesTheReservedSpaceFirst() {
        Path reserved = config.dbDir().resolve("reserved");
        store.gc().reserveSpace(true);
        String a = unrooted("a.txt", "a");
        gc(Action.RETURN_DEAD, UNLIMITED);
        assertTrue(Files.exists(reserved), "a collection that deletes nothing keeps it");
        // Before gc.lock and marking: on a full disk, even a temp-roots read can need the room.
        boolean[] goneAtSnapshot = new boolean[1];
        UnaryOperator<TempRootSource> look = files -> info -> {
            goneAtSnapshot[0] = !Files.exists(reserved);
            return files.open(info);
        };
        GcResult r = store.gc().collectGarbage(new GcRequest(Action.DELETE_DEAD, List.of(), UNLIMITED, false,
                true, true), messages::add, look);
        assertTrue(goneAtSnapshot[0], "reserved freed before the collection");
        assertEquals(Set.of(a), r.paths());
    }

    @Test
    void deleteWhileEightThreadsAddKeepsEveryValidPathWhole() throws Exception {
        List<Thread> adders = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        for (int t = 0; t < 8; t++) {
            int seed = t;
            adders.add(Thread.ofPlatform().start(() -> {
                int i = 0;
                while (!stop.get()) {
                    // Few distinct contents: adds keep meeting paths a collection is deleting.
                    try (SessionRoots roots = store.roots().openSessionRoots()) {
                        String dep = store.adds().addTextToStore("dep-" + (i % 7), ("dep" + i % 7).getBytes(StandardCharsets.UTF_8),
                                new TreeSet<>(), roots);
                        String top = store.adds().addTextToStore("top-" + seed + "-" + (i % 5),
                                ("top" + i % 5).getBytes(StandardCharsets.UTF_8), new TreeSet<>(Set.of(dep)), roots);
                        for (String p : List.of(dep, top)) {
                            if (!onDisk(p) || !store.queries().isValidPath(p)) throw new AssertionError("rooted path gone: " + p);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                    i++;
                }
            }));
        }
        try {
            for (int round = 0; round < 15; round++) gc(Action.DELETE_DEAD, UNLIMITED);
        } finally {
            stop.set(true);
            for (Thread t : adders) t.join();
        }
        assertEquals(List.of(), failures);
        SortedSet<String> valid = store.queries().queryAllValidPaths();
        for (String p : valid) {
            assertTrue(onDisk(p), "valid path without contents: " + p);
            for (String ref : store.queries().pathInfoOrThrow(p).references()) assertTrue(valid.contains(ref), ref);
        }
    }

    /** Store names next to a store path. */
    static final class StoreDirPaths {
        static String sibling(String path, String name) {
            return path.substring(0, path.lastIndexOf('/') + 1) + "9w2ly75qxfddd3bqxnyh02q6j8di2c7s-" + name;
        }
    }
}
