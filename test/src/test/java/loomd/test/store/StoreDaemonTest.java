package loomd.test.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.PathInfo;
import loomd.protocol.client.StoreClient;
import loomd.protocol.wire.WorkerOp;
import loomd.test.support.DaemonProcess;
import loomd.test.support.RawClient;
import loomd.test.support.TestNar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store through the real daemon jar: disconnects, contention, upstream databases, export/import. */
class StoreDaemonTest {
    static final String HELLO_SOURCE = "/gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt";
    static final String HELLO_TEXT = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";

    @TempDir Path dir;

    static StoreClient client(DaemonProcess d) throws IOException {
        return StoreClient.connectUnix(d.socketPath(), ClientOptions.DEFAULT);
    }

    static byte[] bigTreeNar(int files, int size) {
        Map<String, TestNar.Node> entries = new java.util.TreeMap<>();
        for (int i = 0; i < files; i++) {
            byte[] data = new byte[size];
            for (int j = 0; j < size; j++) data[j] = (byte) (i * 31 + j);
            entries.put(String.format("f%04d", i), new TestNar.File(data, i % 3 == 0));
        }
        return TestNar.of(new TestNar.Dir(entries));
    }

    @Test
    void clientDisconnectMidAddToStoreLeavesNothing() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("d")).start()) {
            byte[] nar = bigTreeNar(64, 64 * 1024);
            try (RawClient raw = new RawClient(daemon.connectUnix()).handshake()) {
                raw.out.writeU64(WorkerOp.ADD_TO_STORE.code());
                raw.out.writeString("tree");
                raw.out.writeU64(1);
                raw.out.writeU64(1);
                raw.out.writeString("sha256");
                raw.out.rawOutput().write(nar, 0, nar.length / 2);
                raw.out.flush();
                Thread.sleep(300); // let the daemon restore part of the tree
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            List<String> entries;
            do {
                Thread.sleep(50);
                entries = StoreFixtures.storeEntries(daemon.physicalStoreDir());
            } while (entries.stream().anyMatch(e -> !e.equals(".links")) && System.nanoTime() < deadline);
            assertEquals(List.of(".links"), entries, "no temporary tree left");
            try (StoreClient c = client(daemon)) {
                assertEquals(List.of(), c.queryAllValidPaths());
                // The daemon is fine: the same add, complete this time, works.
                String path = c.addToStore("tree", true, "sha256", new ByteArrayInputStream(nar));
                assertTrue(c.isValidPath(path));
            }
        }
    }

    @Test
    void daemonKilledMidAddLeavesATemporaryThatTheNextStartRemoves() throws Exception {
        Path root = dir.resolve("d");
        byte[] nar = bigTreeNar(64, 64 * 1024);
        try (DaemonProcess daemon = DaemonProcess.builder(root).start()) {
            RawClient raw = new RawClient(daemon.connectUnix()).handshake();
            raw.out.writeU64(WorkerOp.ADD_TO_STORE.code());
            raw.out.writeString("tree");
            raw.out.writeU64(1);
            raw.out.writeU64(1);
            raw.out.writeString("sha256");
            raw.out.rawOutput().write(nar, 0, nar.length / 2);
            raw.out.flush();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (StoreFixtures.storeEntries(daemon.physicalStoreDir()).stream().noneMatch(e -> e.startsWith(".loomd-tmp"))
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(StoreFixtures.storeEntries(daemon.physicalStoreDir()).stream().anyMatch(e -> e.startsWith(".loomd-tmp")),
                    "the daemon is restoring under a temporary name");
            daemon.process().destroyForcibly().waitFor();
            raw.close();
        }
        try (DaemonProcess daemon = DaemonProcess.builder(root).start(); StoreClient c = client(daemon)) {
            assertEquals(List.of(".links"), StoreFixtures.storeEntries(daemon.physicalStoreDir()));
            assertEquals(List.of(), c.queryAllValidPaths());
        }
    }

    @Test
    void hundredSessionsAddingOnePathAtOnceGetOneCopy() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("d")).start()) {
            byte[] nar = bigTreeNar(16, 16 * 1024);
            int sessions = 100;
            Set<String> results = ConcurrentHashMap.newKeySet();
            List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch go = new CountDownLatch(1);
            try (var vts = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < sessions; i++) {
                    vts.submit(() -> {
                        try (StoreClient c = client(daemon)) {
                            go.await();
                            results.add(c.addToStore("tree", true, "sha256", new ByteArrayInputStream(nar)));
                        } catch (Throwable t) {
                            errors.add(t);
                        }
                        return null;
                    });
                }
                go.countDown();
            }
            assertEquals(List.of(), errors);
            assertEquals(1, results.size(), results.toString());
            String path = results.iterator().next();
            assertEquals(List.of(".links", path.substring("/gnu/store/".length())),
                    StoreFixtures.settledStoreEntries(daemon.physicalStoreDir()), "one copy, no temp or lock file");
            try (StoreClient c = client(daemon)) {
                assertEquals(List.of(path), c.queryAllValidPaths());
                assertEquals(nar.length, c.queryPathInfo(path).narSize());
            }
        }
    }

    @Test
    void upstreamLayoutDatabaseIsOpenedAndExtended() throws Exception {
        Path root = dir.resolve("d");
        Path dbDir = Files.createDirectories(root.resolve("var/guix/db"));
        Path item = Files.createDirectories(root.resolve("gnu/store")).resolve(HELLO_TEXT.substring(1 + "gnu/store/".length()));
        Files.writeString(item, "hello\n");
        Files.setAttribute(item, "unix:mode", 0444);
        Files.setLastModifiedTime(item, java.nio.file.attribute.FileTime.fromMillis(1000));
        String narHash = "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13";
        List<String> schemaBefore;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbDir.resolve("db.sqlite"));
             Statement st = c.createStatement()) {
            st.execute("pragma foreign_keys = 1;");
            st.executeQuery("pragma main.journal_mode = wal;").close();
            st.executeUpdate(StoreFixtures.UPSTREAM_SCHEMA);
            st.executeUpdate("insert into ValidPaths (path, hash, registrationTime, deriver, narSize) values ('"
                    + HELLO_TEXT + "', 'sha256:" + narHash + "', 1600000000, null, 120);");
            schemaBefore = master(st);
        }
        Files.writeString(dbDir.resolve("schema"), "7");

        String refs;
        try (DaemonProcess daemon = DaemonProcess.builder(root).start(); StoreClient c = client(daemon)) {
            PathInfo info = c.queryPathInfo(HELLO_TEXT);
            assertEquals(narHash, info.narHash());
            assertEquals(1600000000L, info.registrationTime());
            assertEquals("", info.deriver());
            refs = c.addTextToStore("refs.txt", "see " + HELLO_TEXT + "\n", List.of(HELLO_TEXT));
            assertEquals(List.of(refs), c.queryReferrers(HELLO_TEXT));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertTrue(c.exportPath(HELLO_TEXT, false, out), "the upstream row's hash matches its file");
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbDir.resolve("db.sqlite"));
             Statement st = c.createStatement()) {
            assertEquals(schemaBefore, master(st), "schema untouched");
            try (ResultSet rs = st.executeQuery("select r.path, v.path from Refs join ValidPaths r on referrer = r.id"
                    + " join ValidPaths v on reference = v.id")) {
                assertTrue(rs.next());
                assertEquals(refs, rs.getString(1));
                assertEquals(HELLO_TEXT, rs.getString(2));
            }
            try (ResultSet rs = st.executeQuery("pragma journal_mode")) {
                assertEquals("wal", rs.getString(1));
            }
        }
        assertEquals("7", Files.readString(dbDir.resolve("schema")));
    }

    private static List<String> master(Statement st) throws Exception {
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("select type, name, sql from sqlite_master order by name")) {
            while (rs.next()) rows.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
        }
        return rows;
    }

    @Test
    void signedExportImportsIntoAnotherDaemon() throws Exception {
        Path rootA = dir.resolve("a");
        Path rootB = dir.resolve("b");
        byte[] treeNar = bigTreeNar(8, 3000);
        Map<String, PathInfo> infos = new LinkedHashMap<>();
        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        try (DaemonProcess a = DaemonProcess.builder(rootA).env("GUIX", StoreFixtures.fakeGuix(rootA).toString()).start();
             StoreClient c = client(a)) {
            String hello = c.addTextToStore("hello.txt", "hello\n", List.of());
            String tree = c.addToStore("tree", true, "sha256", new ByteArrayInputStream(treeNar));
            String refs = c.addTextToStore("refs.txt", "see " + hello + " " + tree + "\n", List.of(hello, tree));
            for (String p : List.of(hello, tree, refs)) infos.put(p, c.queryPathInfo(p));
            c.exportPaths(List.of(refs), true, true, bundle);
        }
        try (DaemonProcess b = DaemonProcess.builder(rootB).env("GUIX", StoreFixtures.fakeGuix(rootB).toString()).start();
             StoreClient c = client(b)) {
            List<String> imported = c.importPaths(new ByteArrayInputStream(bundle.toByteArray()));
            assertEquals(Set.copyOf(infos.keySet()), Set.copyOf(imported));
            for (var e : infos.entrySet()) {
                PathInfo got = c.queryPathInfo(e.getKey());
                assertEquals(e.getValue().narHash(), got.narHash(), e.getKey());
                assertEquals(e.getValue().narSize(), got.narSize(), e.getKey());
                assertEquals(e.getValue().references(), got.references(), e.getKey());
            }
            ByteArrayOutputStream again = new ByteArrayOutputStream();
            c.exportPaths(List.copyOf(infos.keySet()), false, false, again);
            assertFalse(StoreFixtures.storeEntries(b.physicalStoreDir()).stream().anyMatch(n -> n.startsWith(".loomd-tmp")));
        }
    }
}
