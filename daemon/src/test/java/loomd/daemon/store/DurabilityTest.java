package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.protocol.hash.HashAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order of an add (canonicalise → rename → register, then the group sync) and simulated crashes
 * at each step; when the reply comes in each durability mode.
 */
class DurabilityTest {
    static final String HELLO_SOURCE = LocalStoreTest.HELLO_SOURCE;

    @TempDir Path dir;

    /** Records what is on disk and in the database at each hook. */
    final class Recorder implements StoreObserver {
        final List<String> events = new ArrayList<>();
        StoreConfig config;
        String crashAt = "";

        boolean inDb(String path) {
            // A separate connection, as another process would see it.
            try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(config.dbDir()))) {
                return db.read(d -> StoreQueries.isValid(d, path));
            }
        }

        @Override
        public void canonicalised(String tempName, String destination) {
            Path temp = config.physicalStore().resolve(tempName);
            events.add("canonicalised temp-canonical=" + canonical(temp) + " dest-exists="
                    + Files.exists(config.physical(destination)) + " registered=" + inDb(destination));
            if (crashAt.equals("canonicalised")) throw new IllegalStateException("crash after canonicalising");
        }

        @Override
        public void renamed(String destination) {
            events.add("renamed dest-canonical=" + canonical(config.physical(destination)) + " registered=" + inDb(destination));
            if (crashAt.equals("renamed")) throw new IllegalStateException("crash after rename");
        }

        @Override
        public void registered(String destination) {
            events.add("registered registered=" + inDb(destination));
        }

        boolean canonical(Path p) {
            try {
                return Files.exists(p) && Files.getLastModifiedTime(p).equals(FileTime.fromMillis(1000))
                        && ((int) Files.getAttribute(p, "unix:mode") & 07777) == 0444;
            } catch (IOException e) {
                return false;
            }
        }
    }

    List<String> entries(StoreConfig config) throws IOException {
        try (Stream<Path> s = Files.list(config.physicalStore())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    byte[] helloNar() throws IOException {
        Path src = Files.writeString(dir.resolve("hello.txt"), "hello\n");
        return TestStores.nar(src);
    }

    @Test
    void registrationComesAfterCanonicalContentsAndTheRename() throws Exception {
        Recorder rec = new Recorder();
        rec.config = TestStores.config(dir).withDurability(new Durability(Durability.Mode.BATCHED, Duration.ofHours(1)));
        try (LocalStore store = TestStores.open(rec.config, rec); SessionRoots roots = store.roots().openSessionRoots()) {
            store.adds().addStaged("hello.txt", true, HashAlgorithm.SHA256,
                    store.adds().stageNar(new ByteArrayInputStream(helloNar())), roots);
            assertEquals(List.of(
                    "canonicalised temp-canonical=true dest-exists=false registered=false",
                    "renamed dest-canonical=true registered=false",
                    "registered registered=true"), rec.events, "batched: the reply does not wait for a sync");
        }
    }

    /**
     * Add-text writes its file in place under the item lock, as upstream: no temporary name (so no
     * staging temp root), canonical before it is registered; a leftover at that name (a crashed
     * attempt's partial file, read-only) is replaced, never written through.
     */
    @Test
    void addTextWritesInPlaceOverALeftoverAndRegistersAfterwards() throws Exception {
        Recorder rec = new Recorder();
        rec.config = TestStores.config(dir);
        Path leftover = rec.config.physical(LocalStoreTest.HELLO_TEXT);
        Files.createDirectories(leftover.getParent());
        Path elsewhere = Files.writeString(dir.resolve("linked"), "hel");
        Files.createLink(leftover, elsewhere);
        Files.setPosixFilePermissions(leftover, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
        try (LocalStore store = TestStores.open(rec.config, rec); SessionRoots roots = store.roots().openSessionRoots()) {
            assertEquals(LocalStoreTest.HELLO_TEXT,
                    store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots));
            assertEquals(List.of("renamed dest-canonical=true registered=false", "registered registered=true"),
                    rec.events);
            assertEquals("hello\n", Files.readString(leftover));
            assertEquals("hel", Files.readString(elsewhere), "the leftover's other link is untouched");
            try (Stream<Path> files = Files.list(rec.config.stateDir().resolve("temproots"))) {
                assertEquals(List.of(), files.filter(f -> f.getFileName().toString().contains("staging")).toList(),
                        "no temporary name was protected");
            }
        }
    }

    @Test
    void crashBeforeTheRenameLeavesNothing() throws Exception {
        Recorder rec = new Recorder();
        rec.config = TestStores.config(dir);
        rec.crashAt = "canonicalised";
        try (LocalStore store = TestStores.open(rec.config, rec); SessionRoots roots = store.roots().openSessionRoots()) {
            assertThrows(IllegalStateException.class, () -> store.adds().addStaged("hello.txt", true, HashAlgorithm.SHA256,
                    store.adds().stageNar(new ByteArrayInputStream(helloNar())), roots));
            // As upstream, an abandoned attempt leaves its (empty) lock file; no temporary remains.
            assertEquals(List.of(".links", HELLO_SOURCE.substring(11) + ".lock"), entries(rec.config));
            assertFalse(store.queries().isValidPath(HELLO_SOURCE));
        }
    }

    @Test
    void crashAfterTheRenameLeavesACompleteUnregisteredItemThatALaterAddReplaces() throws Exception {
        Recorder rec = new Recorder();
        rec.config = TestStores.config(dir);
        rec.crashAt = "renamed";
        try (LocalStore store = TestStores.open(rec.config, rec); SessionRoots roots = store.roots().openSessionRoots()) {
            assertThrows(IllegalStateException.class, () -> store.adds().addStaged("hello.txt", true, HashAlgorithm.SHA256,
                    store.adds().stageNar(new ByteArrayInputStream(helloNar())), roots));
            assertFalse(store.queries().isValidPath(HELLO_SOURCE));
            assertEquals("hello\n", Files.readString(rec.config.physical(HELLO_SOURCE)), "complete, never partial");
        }
        rec.crashAt = "";
        try (LocalStore store = TestStores.open(rec.config, rec); SessionRoots roots = store.roots().openSessionRoots()) {
            assertEquals(HELLO_SOURCE, store.adds().addStaged("hello.txt", true, HashAlgorithm.SHA256,
                    store.adds().stageNar(new ByteArrayInputStream(helloNar())), roots));
            assertTrue(store.queries().isValidPath(HELLO_SOURCE));
            // The lock file's deletion is sent to the locker without waiting for it (fire and forget).
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (entries(rec.config).size() > 2 && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(List.of(".links", HELLO_SOURCE.substring(11)), entries(rec.config));
        }
    }

    @Test
    void aNarCutShortByADisconnectingClientLeavesNothing() throws Exception {
        StoreConfig config = TestStores.config(dir);
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.write(tree.resolve("big"), new byte[1 << 20]);
        byte[] nar = TestStores.nar(tree);
        try (LocalStore store = TestStores.open(config)) {
            var cut = new ByteArrayInputStream(nar, 0, nar.length / 2);
            assertThrows(IOException.class, () -> store.adds().stageNar(cut));
            assertEquals(List.of(".links"), entries(config));
            assertEquals(Set.of(), new TreeSet<>(store.queries().queryAllValidPaths()));
        }
    }

    /**
     * Nothing is fsynced per file, and the one sync there is, the flusher's {@code syncfs}, blocks in
     * the kernel, so it never runs on a session's virtual thread: it runs on {@code loomd-flusher}.
     * In strict mode the reply comes only after a sync that began after the registration, and the
     * checkpoint written after it covers the new row.
     */
    @Test
    void strictRepliesAfterTheGroupSyncCoveringTheAddWhichRunsOnTheFlusherThread() throws Exception {
        StoreConfig config = TestStores.config(dir).withDurability(new Durability(Durability.Mode.STRICT, Duration.ofHours(1)));
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        StoreObserver observer = new StoreObserver() {
            @Override
            public void registered(String destination) {
                events.add("registered");
            }

            @Override
            public void syncing(long upTo) {
                events.add("syncing " + upTo + " on " + Thread.currentThread().getName() + " virtual="
                        + Thread.currentThread().isVirtual());
            }

            @Override
            public void durable(long checkpoint) {
                events.add("durable " + checkpoint);
            }
        };
        try (LocalStore store = TestStores.open(config, observer); SessionRoots roots = store.roots().openSessionRoots()) {
            var session = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
            session.submit(() -> {
                store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
                events.add("replied");
                return null;
            }).get(30, java.util.concurrent.TimeUnit.SECONDS);
            session.submit(() -> {
                store.adds().addStaged("hello.txt", true, HashAlgorithm.SHA256,
                        store.adds().stageNar(new ByteArrayInputStream(helloNar())), roots);
                events.add("replied");
                return null;
            }).get(30, java.util.concurrent.TimeUnit.SECONDS);
            session.close();
            assertEquals(List.of("registered", "syncing 1 on loomd-flusher virtual=false", "durable 1", "replied",
                    "registered", "syncing 2 on loomd-flusher virtual=false", "durable 2", "replied"), events);
            assertEquals("loomd durable checkpoint v1\nstate running\ncheckpoint 2\n",
                    Files.readString(config.dbDir().resolve("loomd-durable")));
        }
    }

    /**
     * A re-add of a valid text that the cache never saw (a restarted daemon) is decided by the read
     * under the item lock, which then goes with its lock file, as after a registration.
     */
    @Test
    void reAddingAValidTextTheCacheNeverSawLeavesNoLockFile() throws Exception {
        StoreConfig config = TestStores.config(dir);
        for (int start = 0; start < 2; start++) {
            try (LocalStore store = TestStores.open(config); SessionRoots roots = store.roots().openSessionRoots()) {
                assertEquals(LocalStoreTest.HELLO_TEXT,
                        store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots));
                assertEquals(List.of(), entries(config).stream().filter(n -> n.endsWith(".lock")).toList());
            }
        }
    }

    /**
     * The WAL is copied back into the database file by the flusher after a flush with new rows, not
     * left to SQLite's automatic checkpoint inside some add's commit (40,000 pages later).
     */
    @Test
    void aFlushWithNewRowsCheckpointsTheWalIntoTheDatabaseFile() throws Exception {
        StoreConfig config = TestStores.config(dir).withDurability(new Durability(Durability.Mode.STRICT, Duration.ofHours(1)));
        Path dbFile = config.dbDir().resolve("db.sqlite");
        try (LocalStore store = TestStores.open(config); SessionRoots roots = store.roots().openSessionRoots()) {
            long before = Files.size(dbFile);
            for (int i = 0; i < 50; i++) {
                store.adds().addTextToStore("t" + i, ("text " + i).getBytes(), new TreeSet<>(), roots);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (Files.size(dbFile) == before && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(Files.size(dbFile) > before, "the database file took the WAL's pages: " + before + " -> "
                    + Files.size(dbFile));
        }
    }

    /**
     * A repair rewrites the contents of a row the checkpoint covers already, which no start
     * re-verifies: even in batched mode, the new tree is synced before it takes the path's place,
     * and the swap is synced before the reply.
     */
    @Test
    void aRepairSyncsTheNewTreeBeforeTheSwapAndTheSwapBeforeTheReply() throws Exception {
        StoreConfig config = TestStores.config(dir).withDurability(new Durability(Durability.Mode.BATCHED, Duration.ofHours(1)));
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        StoreObserver observer = new StoreObserver() {
            @Override
            public void renamed(String destination) {
                events.add("renamed");
            }

            @Override
            public void syncing(long upTo) {
                events.add("syncing");
            }
        };
        try (LocalStore store = TestStores.open(config, observer); SessionRoots roots = store.roots().openSessionRoots()) {
            String path = store.adds().addStaged("hello.txt", true, HashAlgorithm.SHA256,
                    store.adds().stageNar(new ByteArrayInputStream(helloNar())), roots);
            events.clear();
            String hash = loomd.protocol.hash.Hash.of(HashAlgorithm.SHA256, helloNar()).toBase16();
            store.adds().replaceStaged(store.adds().stageNar(new ByteArrayInputStream(helloNar())),
                    loomd.daemon.store.db.Registration.of(path, hash, helloNar().length, new TreeSet<>(), ""));
            events.add("replied");
            assertEquals(List.of("syncing", "renamed", "syncing", "replied"), events);
        }
    }

    /** The item lock lost between rename and registration (its locker killed): the add fails, nothing is registered. */
    @Test
    void anAddWhoseItemLockWasLostFailsBeforeRegistering() throws Exception {
        StoreConfig config = TestStores.config(dir);
        try (loomd.locker.LockerClient client = loomd.locker.LockerClient.launch(dir)) {
            List<Process> lockers = new java.util.concurrent.CopyOnWriteArrayList<>();
            client.onLockerStarted(lockers::add);
            StoreObserver killLocker = new StoreObserver() {
                @Override
                public void renamed(String destination) {
                    Process locker = lockers.getFirst();
                    locker.destroyForcibly();
                    locker.onExit().join();
                    // The client marks every owner lost before it starts the next locker.
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (client.generation() < 2 && System.nanoTime() < deadline) Thread.onSpinWait();
                }
            };
            try (LocalStore store = LocalStore.open(config, client, killLocker); SessionRoots roots = store.roots().openSessionRoots()) {
                // Held by another owner first, so the add cannot take it in-process and waits in the locker.
                loomd.locker.LockOwner other = client.newOwner("other add");
                client.lock(other, Path.of(config.physical(LocalStoreTest.HELLO_TEXT) + ".lock"),
                        loomd.locker.LockMode.EXCLUSIVE, loomd.locker.Wait.WAIT).join();
                var add = java.util.concurrent.CompletableFuture.runAsync(
                        () -> store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots),
                        r -> Thread.ofVirtual().start(r));
                Thread.sleep(200);
                client.releaseAll(other).join();
                var failure = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> add.get(30, java.util.concurrent.TimeUnit.SECONDS));
                StoreException e = assertInstanceOf(StoreException.class, failure.getCause());
                assertTrue(e.getMessage().contains("the locker process died"), e.getMessage());
                assertTrue(store.queries().queryPathInfo(LocalStoreTest.HELLO_TEXT).isEmpty(), "not registered");
            }
        }
    }
}
