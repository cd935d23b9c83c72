package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import loomd.daemon.store.fs.TempNames;
import loomd.locker.LockerClient;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStoreTest {
    static final String HELLO_SOURCE = "/gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt";
    static final String HELLO_FLAT = "/gnu/store/wxykb3w2hprzmc82c32q49pfzwx2drsa-hello.txt";
    static final String HELLO_TEXT = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";
    static final String EMPTY_TEXT = "/gnu/store/1hsw4vkd7sfw6bda2808j3pnc2w3avx4-empty.txt";
    static final String REFS_TEXT = "/gnu/store/nnv962p503wd3di297nmj7p16s9277xf-refs.txt";
    static final String HELLO_DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";
    static final String HELLO_OUT = "/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello";
    static final String HELLO_DRV_TEXT = "Derive([(\"out\",\"/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello\",\"\",\"\")],[],[],"
            + "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo hello > $out\"],[(\"builder\",\"/bin/sh\"),(\"name\",\"hello\"),"
            + "(\"out\",\"/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello\"),(\"system\",\"x86_64-linux\")])";

    @TempDir Path dir;
    StoreConfig config;
    LocalStore store;
    SessionRoots roots;

    @BeforeEach
    void open() throws IOException {
        config = TestStores.config(dir);
        store = TestStores.open(config);
        roots = store.roots().openSessionRoots();
    }

    @AfterEach
    void close() {
        roots.close();
        store.close();
    }

    Path file(String name, String contents) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src")).resolve(name);
        Files.writeString(src, contents);
        return src;
    }

    String add(String name, boolean recursive, HashAlgorithm algo, byte[] nar) throws IOException {
        StagedNar staged = store.adds().stageNar(new ByteArrayInputStream(nar));
        return store.adds().addStaged(name, recursive, algo, staged, roots);
    }

    /**
     * The store's entries once the lock files of finished adds are gone: their deletion is sent to
     * the locker without waiting (fire and forget), so it may land just after the add returned.
     */
    List<String> storeEntries() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<String> entries;
            try (Stream<Path> s = Files.list(config.physicalStore())) {
                entries = s.map(p -> p.getFileName().toString()).sorted().toList();
            }
            if (entries.stream().noneMatch(e -> e.endsWith(".lock")) || System.nanoTime() > deadline) return entries;
            Thread.sleep(10);
        }
    }

    @Test
    void recursiveAddGivesUpstreamPathAndCanonicalDurableItem() throws Exception {
        byte[] nar = TestStores.nar(file("hello.txt", "hello\n"));
        String path = add("hello.txt", true, HashAlgorithm.SHA256, nar);
        assertEquals(HELLO_SOURCE, path);
        assertTrue(store.queries().isValidPath(path));
        PathInfo info = store.queries().queryPathInfo(path).orElseThrow();
        assertEquals("1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13", info.narHash().toBase16());
        assertEquals(120, info.narSize());
        assertEquals(Set.of(), info.references());
        assertEquals(null, info.deriver());
        Path physical = config.physical(path);
        assertEquals("hello\n", Files.readString(physical));
        assertEquals(0444, (int) Files.getAttribute(physical, "unix:mode") & 07777);
        assertEquals(FileTime.fromMillis(1000), Files.getLastModifiedTime(physical));
        assertEquals(List.of(".links", path.substring(11)), storeEntries(), "no temp or lock file left");
        assertArrayEquals(nar, TestStores.nar(physical), "re-serialising gives the same NAR");
        assertEquals(path, add("hello.txt", true, HashAlgorithm.SHA256, nar), "adding again is a no-op");
    }

    @Test
    void flatAddsUseFixedOutputPathsAndStoreNonExecutableFiles() throws Exception {
        Path src = file("hello.txt", "hello\n");
        Files.setAttribute(src, "unix:mode", 0755);
        String path = add("hello.txt", false, HashAlgorithm.SHA256, TestStores.nar(src));
        assertEquals(HELLO_FLAT, path);
        PathInfo info = store.queries().queryPathInfo(path).orElseThrow();
        assertEquals("1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13", info.narHash().toBase16());
        assertEquals(120, info.narSize());
        assertEquals(0444, (int) Files.getAttribute(config.physical(path), "unix:mode") & 07777);
        assertEquals("/gnu/store/cws9bg170f9da6gvs6fyvlmw9cf798vx-hello.txt",
                add("hello.txt", false, HashAlgorithm.SHA1, TestStores.nar(src)));
        assertEquals("/gnu/store/g5yrc3b7np5y7wfmmfw1vi7zb54sa9v3-hello.txt",
                add("hello.txt", true, HashAlgorithm.SHA512, TestStores.nar(file("h2", "hello\n"))));
    }

    @Test
    void stagingWithTheRequestFieldsGivesTheSamePathsInOnePass() throws Exception {
        Path src = file("hello.txt", "hello\n");
        Files.setAttribute(src, "unix:mode", 0755);
        byte[] nar = TestStores.nar(src);
        String flat = store.adds().addStaged("hello.txt", false, HashAlgorithm.SHA256,
                store.adds().stageNar(new ByteArrayInputStream(nar), false, "sha256"), roots);
        assertEquals(HELLO_FLAT, flat);
        assertEquals("1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13",
                store.queries().queryPathInfo(flat).orElseThrow().narHash().toBase16());
        assertEquals("/gnu/store/f880x53md97h5007yai4adnsprd3w3np-hello.txt", store.adds().addStaged("hello.txt", false,
                HashAlgorithm.MD5, store.adds().stageNar(new ByteArrayInputStream(nar), false, "md5"), roots));
        Path tree = Files.createDirectories(dir.resolve("tree"));
        var e = assertThrows(StoreException.class, () -> store.adds().addStaged("tree", false, HashAlgorithm.SHA256,
                store.adds().stageNar(new ByteArrayInputStream(TestStores.nar(tree)), false, "sha256"), roots));
        assertEquals("regular file expected", e.getMessage());
        StagedNar unknown = store.adds().stageNar(new ByteArrayInputStream(nar), true, "sha42");
        unknown.close();
        assertEquals(List.of(".links", "f880x53md97h5007yai4adnsprd3w3np-hello.txt", HELLO_FLAT.substring(11)),
                storeEntries());
    }

    @Test
    void flatAddOfADirectoryAndMalformedNarsLeaveNothing() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("a"), "a");
        var e = assertThrows(StoreException.class,
                () -> add("tree", false, HashAlgorithm.SHA256, TestStores.nar(tree)));
        assertEquals("regular file expected", e.getMessage());
        byte[] nar = TestStores.nar(tree);
        byte[] truncated = java.util.Arrays.copyOf(nar, nar.length - 20);
        assertThrows(IOException.class, () -> store.adds().stageNar(new ByteArrayInputStream(truncated)));
        byte[] garbage = "definitely not a NAR at all....".getBytes(StandardCharsets.US_ASCII);
        assertThrows(IOException.class, () -> store.adds().stageNar(new ByteArrayInputStream(garbage)));
        assertEquals(List.of(".links"), storeEntries());
        assertTrue(store.queries().queryAllValidPaths().isEmpty());
    }

    @Test
    void textPathsWithReferencesMatchUpstreamAndNeedValidReferences() throws Exception {
        var refs = new TreeSet<>(Set.of(HELLO_TEXT, EMPTY_TEXT));
        String contents = "see " + HELLO_TEXT + " and " + EMPTY_TEXT + "\n";
        var e = assertThrows(StoreException.class, () -> store.adds().addTextToStore("refs.txt",
                contents.getBytes(StandardCharsets.UTF_8), refs, roots));
        assertEquals("path \u2018" + EMPTY_TEXT + "\u2019 is not valid", e.getMessage());
        assertFalse(store.queries().isValidPath(REFS_TEXT));
        assertFalse(Files.exists(config.physical(REFS_TEXT)), "nothing left at the destination");

        assertEquals(HELLO_TEXT, store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots));
        assertEquals(EMPTY_TEXT, store.adds().addTextToStore("empty.txt", new byte[0], new TreeSet<>(), roots));
        assertEquals(REFS_TEXT, store.adds().addTextToStore("refs.txt", contents.getBytes(StandardCharsets.UTF_8), refs, roots));
        PathInfo info = store.queries().queryPathInfo(REFS_TEXT).orElseThrow();
        assertEquals("c64fce422680f4219ebf32aa37a0887c280604d4157e4178e37e6e6c44b2be52", info.narHash().toBase16());
        assertEquals(232, info.narSize());
        assertEquals(refs, info.references());
        assertEquals(Set.of(REFS_TEXT), store.queries().queryReferrers(HELLO_TEXT));
        assertEquals(Set.of(HELLO_TEXT, EMPTY_TEXT, REFS_TEXT), store.queries().queryAllValidPaths());
        assertEquals(Set.of(HELLO_TEXT, REFS_TEXT),
                store.queries().queryValidPaths(List.of(HELLO_TEXT, REFS_TEXT, HELLO_SOURCE)));

        var inUse = assertThrows(StoreException.class, () -> store.gc().invalidatePathChecked(HELLO_TEXT));
        assertEquals("cannot delete path `" + HELLO_TEXT + "' because it is in use by `" + REFS_TEXT + "'",
                inUse.getMessage());
        store.gc().invalidatePathChecked(REFS_TEXT);
        assertFalse(store.queries().isValidPath(REFS_TEXT), "the cached validity is dropped");
        assertEquals(Set.of(), store.queries().queryReferrers(HELLO_TEXT));
        store.gc().invalidatePathChecked(HELLO_TEXT);
        assertFalse(store.queries().isValidPath(HELLO_TEXT));
    }

    @Test
    void derivationsGetOutputRowsAndAreChecked() throws Exception {
        String drv = store.adds().addTextToStore("hello.drv", HELLO_DRV_TEXT.getBytes(StandardCharsets.UTF_8),
                new TreeSet<>(), roots);
        assertEquals(HELLO_DRV, drv);
        assertEquals(Set.of(HELLO_OUT), store.queries().queryDerivationOutputs(drv));
        assertEquals(Set.of("out"), store.queries().queryDerivationOutputNames(drv));
        assertEquals(Set.of(HELLO_DRV), store.queries().queryValidDerivers(HELLO_OUT));
        var notValid = assertThrows(StoreException.class, () -> store.queries().queryDerivationOutputs(HELLO_OUT + ".drv"));
        assertEquals("path \u2018" + HELLO_OUT + ".drv\u2019 is not valid", notValid.getMessage());

        String wrong = HELLO_DRV_TEXT.replace("echo hello", "echo bye");
        var e = assertThrows(StoreException.class, () -> store.adds().addTextToStore("bye.drv",
                wrong.getBytes(StandardCharsets.UTF_8), new TreeSet<>(), roots));
        assertTrue(e.getMessage().contains("has incorrect output `" + HELLO_OUT + "', should be `"), e.getMessage());
        assertEquals(Set.of(HELLO_DRV), store.queries().queryAllValidPaths(), "rolled back");
    }

    /**
     * The entry point builds use: many paths, contents already in place, in one transaction (all or
     * nothing), references within the batch, a .drv's output rows from its file, strict paths only.
     */
    @Test
    void registerValidPathsRegistersABatchAtomically() throws Exception {
        Path drvFile = config.physical(HELLO_DRV);
        Files.writeString(drvFile, HELLO_DRV_TEXT);
        Files.writeString(config.physical(HELLO_OUT), "hello\n");
        String hash = "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13";
        var drv = loomd.daemon.store.db.Registration.of(HELLO_DRV, hash, 300, new TreeSet<>(), "");
        var out = loomd.daemon.store.db.Registration.of(HELLO_OUT, hash, 120, new TreeSet<>(Set.of(HELLO_DRV)), HELLO_DRV);
        var dangling = loomd.daemon.store.db.Registration.of(HELLO_TEXT, hash, 1, new TreeSet<>(Set.of(EMPTY_TEXT)), "");

        var e = assertThrows(StoreException.class, () -> store.adds().registerValidPaths(List.of(drv, out, dangling)));
        assertEquals("path \u2018" + EMPTY_TEXT + "\u2019 is not valid", e.getMessage());
        assertTrue(store.queries().queryAllValidPaths().isEmpty(), "one transaction: nothing of the batch stays");
        var trash = loomd.daemon.store.db.Registration.of("/gnu/store/trash", hash, 1, new TreeSet<>(), "");
        assertEquals("path `/gnu/store/trash' is not a valid store path", assertThrows(StoreException.class,
                () -> store.adds().registerValidPaths(List.of(drv, trash))).getMessage());
        assertTrue(store.queries().queryAllValidPaths().isEmpty());

        store.adds().registerValidPaths(List.of(out, drv));
        assertEquals(Set.of(HELLO_DRV, HELLO_OUT), store.queries().queryAllValidPaths());
        assertEquals(Set.of(HELLO_OUT), store.queries().queryDerivationOutputs(HELLO_DRV), "rows from the .drv file");
        PathInfo info = store.queries().pathInfoOrThrow(HELLO_OUT);
        assertEquals(Set.of(HELLO_DRV), info.references());
        assertEquals(HELLO_DRV, info.deriver());
        assertEquals(120, info.narSize());
    }

    @Test
    void hashPartLookupFailedPathsAndValidity() throws Exception {
        store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
        assertEquals(HELLO_TEXT, store.queries().queryPathFromHashPart("k9pad896kygyvpxli7f20bkl9813p9y4"));
        assertEquals("", store.queries().queryPathFromHashPart("k9pad896kygyvpxli7f20bkl9813p9y3"));
        assertEquals("invalid hash part",
                assertThrows(StoreException.class, () -> store.queries().queryPathFromHashPart("short")).getMessage());
        assertEquals("path `/tmp/x' is not in the store",
                assertThrows(StoreException.class, () -> store.queries().isValidPath("/tmp/x")).getMessage());
        assertTrue(store.queries().queryFailedPaths().isEmpty());
        store.queries().clearFailedPaths(List.of("*"));
        assertEquals("path `" + HELLO_SOURCE + "' is not valid",
                assertThrows(StoreException.class, () -> store.queries().pathInfoOrThrow(HELLO_SOURCE)).getMessage());
    }

    private static List<ProcessHandle> lockers() {
        return ProcessHandle.current().children()
                .filter(LockerClient::isLocker)
                .toList();
    }

    /** Without a daemon's locker the store starts a locker process of its own and stops it on close. */
    @Test
    void aStoreOpenedWithoutALockerRunsItsOwnLockerProcess() throws Exception {
        roots.close();
        store.close();
        List<ProcessHandle> before = lockers();
        store = LocalStore.open(config);
        roots = store.roots().openSessionRoots();
        List<ProcessHandle> own = lockers().stream().filter(p -> !before.contains(p)).toList();
        assertEquals(1, own.size(), "one locker of its own: " + lockers());
        assertEquals(HELLO_TEXT, store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots));
        roots.close();
        store.close();
        own.getFirst().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        store = TestStores.open(config);
        roots = store.roots().openSessionRoots();
    }

    @Test
    void syncWithGCAndNewTempRootFilesWaitWhileACollectorHoldsTheGcLock() throws Exception {
        Path gcLock = config.stateDir().resolve("gc.lock");
        store.roots().syncWithGC();
        assertTrue(Files.exists(gcLock));
        try (var gc = java.nio.channels.FileChannel.open(gcLock, java.nio.file.StandardOpenOption.WRITE)) {
            var held = gc.lock(); // a classic fcntl lock: conflicts with the store's OFD locks
            var sync = java.util.concurrent.CompletableFuture.runAsync(store.roots()::syncWithGC,
                    java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            SessionRoots fresh = store.roots().openSessionRoots();
            var root = java.util.concurrent.CompletableFuture.runAsync(() -> fresh.addTempRoot(HELLO_TEXT),
                    java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            Thread.sleep(300);
            assertFalse(sync.isDone(), "syncWithGC waits for the collector");
            assertFalse(root.isDone(), "a session's first temp root waits for the collector");
            held.release();
            sync.get(10, java.util.concurrent.TimeUnit.SECONDS);
            root.get(10, java.util.concurrent.TimeUnit.SECONDS);
            fresh.close();
        }
    }

    @Test
    void anotherSqliteProgramReadsOurDatabaseAndItsExternalRegistrationsAreSeen() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/sqlite3")));
        store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
        Path db = config.dbDir().resolve("db.sqlite");
        // What guix's Scheme register-items does: rows straight into the tables, no DerivationOutputs.
        String out = sqlite(db, "pragma integrity_check;"
                + "select path, hash, deriver is null, narSize from ValidPaths;"
                + "insert into ValidPaths (path, hash, registrationTime, deriver, narSize) values ('" + EMPTY_TEXT
                + "', 'sha256:" + "0".repeat(64) + "', 1, null, null);"
                + "insert into Refs (referrer, reference) select a.id, b.id from ValidPaths a, ValidPaths b"
                + " where a.path = '" + EMPTY_TEXT + "' and b.path = '" + HELLO_TEXT + "';");
        assertEquals("ok\n" + HELLO_TEXT + "|sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13|1|120\n",
                out);
        assertTrue(store.queries().isValidPath(EMPTY_TEXT), "an external registration is visible at once");
        PathInfo info = store.queries().queryPathInfo(EMPTY_TEXT).orElseThrow();
        assertEquals(Set.of(HELLO_TEXT), info.references());
        assertEquals(0, info.narSize());
        assertEquals(Set.of(EMPTY_TEXT), store.queries().queryReferrers(HELLO_TEXT));
    }

    private static String sqlite(Path db, String sql) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/sqlite3", db.toString()).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(sql.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void reservedSpaceFileFollowsTheClientsWish() throws Exception {
        Path reserved = config.dbDir().resolve("reserved");
        store.gc().reserveSpace(true);
        assertEquals(8L << 20, Files.size(reserved));
        store.gc().reserveSpace(false);
        assertFalse(Files.exists(reserved));
    }

    @Test
    void staleTemporaryEntriesAreRemovedAtOpenAndNeverRegistered() throws Exception {
        store.close();
        Path stale = Files.createDirectories(config.physicalStore().resolve(TempNames.PREFIX + "999999999-1-x"));
        Files.writeString(stale.resolve("half-written"), "x");
        store = TestStores.open(config);
        assertFalse(Files.exists(stale));
        assertTrue(store.queries().queryAllValidPaths().isEmpty());
    }

    @Test
    void sessionTempRootsFileHoldsNulTerminatedPathsAndGoesAway() throws Exception {
        SessionRoots session = store.roots().openSessionRoots();
        session.addTempRoot(HELLO_TEXT);
        session.addTempRoot(EMPTY_TEXT);
        Path file;
        try (Stream<Path> s = Files.list(config.stateDir().resolve("temproots"))) {
            file = s.filter(p -> Files.exists(p) && readQuietly(p).contains(HELLO_TEXT)).findFirst().orElseThrow();
        }
        assertEquals(HELLO_TEXT + "\0" + EMPTY_TEXT + "\0", Files.readString(file));
        try (var probe = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            // The locker process holds it, so a classic lock from this JVM conflicts.
            assertEquals(null, probe.tryLock(), "the live session holds a lock on its file");
        }
        session.close();
        assertFalse(Files.exists(file));
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void indirectRootsAndFindRoots() throws Exception {
        store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
        Path link = Files.createSymbolicLink(Files.createDirectories(dir.resolve("home")).resolve("result"),
                Path.of(HELLO_TEXT));
        store.roots().addIndirectRoot(link.toString());
        Path direct = Files.createSymbolicLink(config.stateDir().resolve("gcroots/direct"), Path.of(HELLO_TEXT));
        assertEquals(Map.of(link.toString(), HELLO_TEXT, direct.toString(), HELLO_TEXT), store.roots().findRoots());
        assertTrue(Files.isSymbolicLink(config.stateDir().resolve("gcroots/profiles")));
        store.roots().syncWithGC();
    }

    @Test
    void concurrentAddsOfOnePathMakeOneCopyAndAllSucceed() throws Exception {
        concurrentAdds(List.of(store));
    }

    @Test
    void aSecondStoreWithInProcessLocksExcludesTheLockerOnes() throws Exception {
        try (LocalStore other = LocalStore.open(config)) {
            concurrentAdds(List.of(store, other));
        }
    }

    private void concurrentAdds(List<LocalStore> stores) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        for (int i = 0; i < 20; i++) Files.writeString(tree.resolve("f" + i), "content " + i);
        byte[] nar = TestStores.nar(tree);
        Set<String> results = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Throwable> errors = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try (var vts = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 40; i++) {
                LocalStore s = stores.get(i % stores.size());
                vts.submit(() -> {
                    try (SessionRoots r = s.roots().openSessionRoots()) {
                        results.add(s.adds().addStaged("tree", true, HashAlgorithm.SHA256,
                                s.adds().stageNar(new ByteArrayInputStream(nar)), r));
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                });
            }
        }
        assertEquals(List.of(), errors);
        assertEquals(1, results.size());
        String path = results.iterator().next();
        assertEquals(List.of(".links", path.substring(11)), storeEntries());
        for (LocalStore s : stores) assertEquals(Set.of(path), s.queries().queryAllValidPaths());
    }

    @Test
    void exportSignsAndChecksHashes() throws Exception {
        store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
        var out = new java.io.ByteArrayOutputStream();
        store.archives().exportPath(HELLO_TEXT, false, out);
        assertTrue(out.size() > 120);
        assertEquals("path `" + HELLO_SOURCE + "' is not valid", assertThrows(StoreException.class,
                () -> store.archives().exportPath(HELLO_SOURCE, false, new java.io.ByteArrayOutputStream())).getMessage());
        Path key = config.configDir().resolve("signing-key.sec");
        var missing = assertThrows(StoreException.class,
                () -> store.archives().exportPath(HELLO_TEXT, true, new java.io.ByteArrayOutputStream()));
        assertTrue(missing.getMessage().startsWith("getting status of `" + key + "'"), missing.getMessage());
        Files.writeString(key, "k");
        Files.setAttribute(key, "unix:mode", 0640);
        assertEquals("file `" + key + "' should be secret (inaccessible to everybody else)!",
                assertThrows(StoreException.class,
                        () -> store.archives().exportPath(HELLO_TEXT, true, new java.io.ByteArrayOutputStream())).getMessage());

        // Corrupt the stored file: export must refuse before the metadata.
        Path physical = config.physical(HELLO_TEXT);
        Files.setAttribute(physical, "unix:mode", 0644);
        Files.writeString(physical, "HELLO\n");
        var changed = assertThrows(StoreException.class,
                () -> store.archives().exportPath(HELLO_TEXT, false, new java.io.ByteArrayOutputStream()));
        String stored = Hash.parse(HashAlgorithm.SHA256, "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13").toBase16();
        assertTrue(changed.getMessage().startsWith("hash of path `" + HELLO_TEXT + "' has changed from `" + stored + "' to `"),
                changed.getMessage());
        assertTrue(Files.exists(physical, LinkOption.NOFOLLOW_LINKS));
    }
}
