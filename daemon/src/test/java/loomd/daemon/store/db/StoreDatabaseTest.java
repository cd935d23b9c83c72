package loomd.daemon.store.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;

import loomd.daemon.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreDatabaseTest {
    /**
     * Upstream's nix/libstore/schema.sql, verbatim (what guix-daemon runs on a new store): the one
     * reference copy in the tests, kept apart from loomd's own {@link Schema} so that a drift fails.
     * The integration tests in {@code test/} read the same file.
     */
    static final String UPSTREAM_SCHEMA = upstreamSchema();

    static String upstreamSchema() {
        try (var in = StoreDatabaseTest.class.getResourceAsStream("upstream-schema.sql")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static final String HASH_A = "a".repeat(64);
    static final String HASH_B = "b".repeat(64);
    static final String P1 = "/gnu/store/00000000000000000000000000000001-one";
    static final String P2 = "/gnu/store/00000000000000000000000000000002-two";
    static final String DRV = "/gnu/store/00000000000000000000000000000003-three.drv";

    @TempDir Path dir;

    /** Creates a database exactly as upstream's openDB(create=true) does, with raw SQL rows. */
    static void createUpstreamDb(Path dbDir) throws Exception {
        Files.createDirectories(dbDir);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbDir.resolve("db.sqlite"));
             Statement st = c.createStatement()) {
            st.execute("pragma foreign_keys = 1;");
            st.execute("pragma synchronous = normal;");
            st.executeQuery("pragma main.journal_mode = wal;").close();
            st.execute("pragma wal_autocheckpoint = 40000;");
            st.executeUpdate(UPSTREAM_SCHEMA);
            st.executeUpdate("insert into ValidPaths (path, hash, registrationTime, deriver, narSize)"
                    + " values ('" + P1 + "', 'sha256:" + HASH_A + "', 1700000000, null, 120);");
            st.executeUpdate("insert into ValidPaths (path, hash, registrationTime, deriver, narSize)"
                    + " values ('" + DRV + "', 'sha256:" + HASH_B + "', 1700000001, null, null);");
            st.executeUpdate("insert or replace into Refs (referrer, reference) values (2, 1);");
            st.executeUpdate("insert or replace into DerivationOutputs (drv, id, path) values (2, 'out', '" + P2 + "');");
        }
        Files.writeString(dbDir.resolve("schema"), "7");
    }

    static List<String> masterRows(Path dbFile) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile);
             ResultSet rs = c.createStatement().executeQuery(
                     "select type, name, tbl_name, sql from sqlite_master order by name")) {
            while (rs.next()) {
                rows.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4));
            }
        }
        return rows;
    }

    static String pragma(Path dbFile, String name) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile);
             ResultSet rs = c.createStatement().executeQuery("pragma " + name)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    @Test
    void newDatabaseHasUpstreamSchemaPragmasAndVersionFile() throws Exception {
        Path ours = dir.resolve("ours");
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(ours))) {
            db.write(d -> StoreQueries.register(d, List.of(Registration.of(P1, HASH_A, 5, new TreeSet<>(), "")),
                    r -> {}, 42));
        }
        Path theirs = dir.resolve("theirs");
        createUpstreamDb(theirs);
        assertEquals(masterRows(theirs.resolve("db.sqlite")), masterRows(ours.resolve("db.sqlite")));
        assertEquals("7", Files.readString(ours.resolve("schema")));
        assertEquals("wal", pragma(ours.resolve("db.sqlite"), "journal_mode"));
        assertEquals("0", pragma(ours.resolve("db.sqlite"), "user_version"));
        assertEquals(pragma(theirs.resolve("db.sqlite"), "page_size"), pragma(ours.resolve("db.sqlite"), "page_size"));
        assertEquals(pragma(theirs.resolve("db.sqlite"), "auto_vacuum"), pragma(ours.resolve("db.sqlite"), "auto_vacuum"));
        assertEquals(pragma(theirs.resolve("db.sqlite"), "encoding"), pragma(ours.resolve("db.sqlite"), "encoding"));
    }

    @Test
    void writerConnectionUsesUpstreamPragmas() {
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            Map<String, String> seen = db.write(d -> Map.of(
                    "foreign_keys", d.queryString("pragma foreign_keys;"),
                    "synchronous", d.queryString("pragma synchronous;"),
                    "journal_mode", d.queryString("pragma journal_mode;"),
                    "wal_autocheckpoint", d.queryString("pragma wal_autocheckpoint;"),
                    "busy_timeout", d.queryString("pragma busy_timeout;")));
            assertEquals(Map.of("foreign_keys", "1", "synchronous", "1", "journal_mode", "wal",
                    "wal_autocheckpoint", "40000", "busy_timeout", "3600000"), seen);
            assertEquals("0", db.read(d -> d.queryString("pragma busy_timeout;")), "readers never busy-wait");
        }
    }

    @Test
    void opensUpstreamDatabaseAndExtendsIt() throws Exception {
        Path dbDir = dir.resolve("db");
        createUpstreamDb(dbDir);
        List<String> before = masterRows(dbDir.resolve("db.sqlite"));
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dbDir))) {
            PathRow drv = db.read(d -> StoreQueries.pathInfo(d, DRV)).orElseThrow();
            assertEquals("", drv.deriver());
            assertEquals(0, drv.narSize(), "NULL narSize reads as 0");
            assertEquals(Set.of(P1), drv.references());
            assertEquals(Map.of("out", P2), db.read(d -> StoreQueries.derivationOutputs(d, DRV)));
            assertEquals(Set.of(DRV), db.read(d -> StoreQueries.validDerivers(d, P2)));
            assertEquals(Set.of(DRV), db.read(d -> StoreQueries.referrers(d, P1)));
            db.write(d -> StoreQueries.register(d,
                    List.of(Registration.of(P2, HASH_B, 77, new TreeSet<>(Set.of(P1, P2)), DRV)), r -> {}, 99));
            PathRow p2 = db.read(d -> StoreQueries.pathInfo(d, P2)).orElseThrow();
            assertEquals(new TreeSet<>(Set.of(P1, P2)), p2.references());
            assertEquals(DRV, p2.deriver());
            assertEquals(99, p2.registrationTime());
            assertEquals("sha256:" + HASH_B, p2.hash());
        }
        assertEquals(before, masterRows(dbDir.resolve("db.sqlite")), "schema untouched");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbDir.resolve("db.sqlite"));
             ResultSet rs = c.createStatement().executeQuery(
                     "select narSize, deriver from ValidPaths where path = '" + P1 + "'")) {
            assertTrue(rs.next());
            assertEquals(120, rs.getLong(1));
            assertEquals(null, rs.getString(2));
        }
    }

    @Test
    void schemaVersionRules() throws Exception {
        Path dbDir = dir.resolve("db");
        createUpstreamDb(dbDir);
        Files.writeString(dbDir.resolve("schema"), "8");
        var e = assertThrows(StoreException.class, () -> StoreDatabase.open(StoreDatabase.Settings.defaults(dbDir)));
        assertEquals("current store schema is version 8, but I only support 7", e.getMessage());
        Files.writeString(dbDir.resolve("schema"), "6");
        e = assertThrows(StoreException.class, () -> StoreDatabase.open(StoreDatabase.Settings.defaults(dbDir)));
        assertEquals("Your store database uses an implausibly old schema, version 6.", e.getMessage());
        Files.writeString(dbDir.resolve("schema"), "7\n");
        e = assertThrows(StoreException.class, () -> StoreDatabase.open(StoreDatabase.Settings.defaults(dbDir)));
        assertEquals("`" + dbDir.resolve("schema") + "' is corrupt", e.getMessage());
    }

    @Test
    void missingReferenceRollsBackWithUpstreamText() {
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            var e = assertThrows(StoreException.class, () -> db.write(d -> StoreQueries.register(d,
                    List.of(Registration.of(P1, HASH_A, 5, new TreeSet<>(Set.of(P2)), "")), r -> {}, 1)));
            assertEquals("path \u2018" + P2 + "\u2019 is not valid", e.getMessage());
            assertFalse((boolean) db.read(d -> StoreQueries.isValid(d, P1)), "rolled back");
        }
    }

    @Test
    void derivationCheckFailureRollsBackAndCycleIsRefused() {
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            var reg = Registration.of(DRV, HASH_A, 5, new TreeSet<>(), "")
                    .withDerivationOutputs(new TreeMap<>(Map.of("out", P2)));
            assertThrows(StoreException.class, () -> db.write(d -> StoreQueries.register(d, List.of(reg), r -> {
                throw new StoreException("derivation `" + r.path() + "' has incorrect output");
            }, 1)));
            assertFalse((boolean) db.read(d -> StoreQueries.isValid(d, DRV)));
            assertTrue(db.read(d -> StoreQueries.validDerivers(d, P2)).isEmpty());
            var e = assertThrows(StoreException.class, () -> db.write(d -> StoreQueries.register(d, List.of(
                    Registration.of(P1, HASH_A, 1, new TreeSet<>(Set.of(P2)), ""),
                    Registration.of(P2, HASH_A, 1, new TreeSet<>(Set.of(P1)), "")), r -> {}, 1)));
            assertTrue(e.getMessage().startsWith("cycle detected in the references of `"), e.getMessage());
            assertFalse((boolean) db.read(d -> StoreQueries.isValid(d, P1)));
        }
    }

    @Test
    void hashPartFailedPathsAndScan() {
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            db.write(d -> StoreQueries.register(d, List.of(Registration.of(P1, HASH_A, 1, new TreeSet<>(), ""),
                    Registration.of(DRV, HASH_A, 1, new TreeSet<>(), "")
                            .withDerivationOutputs(new TreeMap<>(Map.of("out", P2)))), r -> {}, 1));
            assertEquals(P1, db.read(d -> StoreQueries.pathFromHashPart(d, "/gnu/store/00000000000000000000000000000001")));
            assertEquals("", db.read(d -> StoreQueries.pathFromHashPart(d, "/gnu/store/00000000000000000000000000000000")));
            assertEquals(Set.of(P1, DRV), db.scan(StoreQueries::allValidPaths));
            db.write(d -> StoreQueries.registerFailedPath(d, P2, 5));
            db.write(d -> StoreQueries.registerFailedPath(d, "/gnu/store/x-other", 5));
            assertEquals(Set.of(P2, "/gnu/store/x-other"), db.read(StoreQueries::failedPaths));
            db.write(d -> StoreQueries.clearFailedPaths(d, List.of(DRV)));
            assertEquals(Set.of("/gnu/store/x-other"), db.read(StoreQueries::failedPaths), "outputs of a valid drv");
            db.write(d -> StoreQueries.clearFailedPaths(d, List.of("*")));
            assertTrue(db.read(StoreQueries::failedPaths).isEmpty());
        }
    }

    @Test
    void writesRunOnTheWriterPlatformThreadScansOnPlatformThreadsReadsOnTheCaller() throws Exception {
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            Thread writer = db.write(d -> Thread.currentThread());
            assertEquals("loomd-db-writer", writer.getName());
            assertFalse(writer.isVirtual());
            assertTrue(db.write(d -> Thread.currentThread()) == writer, "always the same thread");
            var seen = new java.util.concurrent.ConcurrentHashMap<String, Object>();
            Thread vt = Thread.ofVirtual().start(() -> {
                seen.put("read", db.read(d -> Thread.currentThread()).isVirtual());
                seen.put("scan", db.scan(d -> Thread.currentThread()).isVirtual());
            });
            vt.join();
            assertEquals(Map.of("read", true, "scan", false), seen, "point reads stay on the caller, scans do not");
            assertThrows(StoreException.class,
                    () -> db.read(d -> StoreQueries.registerFailedPath(d, P1, 1)), "read connections are read-only");
        }
    }

    static long register(Db d, String path) throws SQLException {
        return StoreQueries.register(d, List.of(Registration.of(path, HASH_A, 1, new TreeSet<>(), "")), r -> {}, 1);
    }

    /**
     * A reader is blocked (SQLITE_BUSY) only by another process's EXCLUSIVE lock on a rollback-journal
     * database ({@code use-sqlite-wal} off); in WAL mode the same transaction leaves readers alone. A
     * process that never commits must not keep sessions retrying forever: the read gives up after
     * its limit, saying why.
     */
    @Test
    void aReadGivesUpWithAClearErrorWhileAnotherProcessHoldsARollbackJournalDatabaseExclusively() throws Exception {
        Path dbDir = dir.resolve("db");
        StoreDatabase.Settings settings = StoreDatabase.Settings.defaults(dbDir).withUseWal(false)
                .withReadBusyLimit(java.time.Duration.ofSeconds(1));
        try (StoreDatabase db = StoreDatabase.open(settings)) {
            db.write(d -> register(d, P1));
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dbDir.resolve("db.sqlite"));
                 Statement st = other.createStatement()) {
                st.execute("begin exclusive;");
                long start = System.nanoTime();
                StoreException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                        java.time.Duration.ofSeconds(20),
                        () -> assertThrows(StoreException.class, () -> db.read(d -> StoreQueries.isValid(d, P1))),
                        "a read must not retry forever");
                long waitedMs = (System.nanoTime() - start) / 1_000_000;
                assertEquals("the store database `" + dbDir.resolve("db.sqlite")
                        + "' is locked by another process (still busy after 1 s)", e.getMessage());
                assertTrue(waitedMs >= 1000 && waitedMs < 10_000, "waited " + waitedMs + " ms");
                st.execute("commit;");
            }
            boolean valid = db.read(d -> StoreQueries.isValid(d, P1));
            assertTrue(valid, "reads work again once the lock is gone");
        }
    }

    @Test
    void inWalModeAnotherProcesssOpenWriteTransactionDoesNotBlockReads() throws Exception {
        Path dbDir = dir.resolve("db");
        StoreDatabase.Settings settings = StoreDatabase.Settings.defaults(dbDir)
                .withReadBusyLimit(java.time.Duration.ofSeconds(1));
        try (StoreDatabase db = StoreDatabase.open(settings);
             Connection other = DriverManager.getConnection("jdbc:sqlite:" + dbDir.resolve("db.sqlite"));
             Statement st = other.createStatement()) {
            st.execute("begin exclusive;");
            st.executeUpdate("insert into FailedPaths (path, time) values ('" + P2 + "', 1);");
            long start = System.nanoTime();
            boolean failed = db.read(d -> StoreQueries.hasPathFailed(d, P2));
            assertFalse(failed, "the last committed state");
            assertTrue(System.nanoTime() - start < 500_000_000L, "not blocked");
            st.execute("rollback;");
        }
    }

    /**
     * data_version on the writer connection moves only with other connections' commits: the
     * listeners hear of another process's commit at the next write, never of loomd's own.
     */
    @Test
    void onlyAnotherConnectionsCommitsCountAsForeign() throws Exception {
        Path dbDir = dir.resolve("db");
        StoreDatabase.Settings settings = new StoreDatabase.Settings(dbDir, true, true, 2,
                java.time.Duration.ofSeconds(5), java.time.Duration.ofHours(1));
        try (StoreDatabase db = StoreDatabase.open(settings)) {
            java.util.concurrent.atomic.AtomicInteger heard = new java.util.concurrent.atomic.AtomicInteger();
            db.onForeignCommit(heard::incrementAndGet);
            db.write(d -> register(d, P1));
            db.write(d -> register(d, P2));
            assertEquals(0, heard.get(), "our own commits");
            assertTrue(db.cacheMayAnswer(), "within the trust window");
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dbDir.resolve("db.sqlite"));
                 Statement st = other.createStatement()) {
                st.executeUpdate("insert into FailedPaths (path, time) values ('" + P2 + "', 1);");
            }
            db.write(d -> StoreQueries.registerFailedPath(d, P1, 1));
            assertEquals(1, heard.get(), "another connection's commit, noticed by the next write");
            db.write(d -> StoreQueries.registerFailedPath(d, DRV, 1));
            assertEquals(1, heard.get());
        }
    }

    @Test
    void manyVirtualThreadsReadWhileOneWriterWrites() throws Exception {
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            Set<String> failures = ConcurrentHashMap.newKeySet();
            try (var vts = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 200; i++) {
                    String p = String.format("/gnu/store/%032d-p", i);
                    vts.submit(() -> {
                        try {
                            db.write(d -> StoreQueries.register(d,
                                    List.of(Registration.of(p, HASH_A, 1, new TreeSet<>(), "")), r -> {}, 1));
                            if (!db.read(d -> StoreQueries.isValid(d, p))) failures.add(p);
                        } catch (RuntimeException e) {
                            failures.add(p + ": " + e);
                        }
                    });
                }
            }
            assertEquals(Set.of(), failures);
            assertEquals(200, db.scan(StoreQueries::allValidPaths).size());
        }
    }

    /**
     * One read connection is opened with the database (issue 14: the first reply comes sooner); a
     * second only when two reads overlap, and none beyond {@code readConnections}.
     */
    @Test
    void readConnectionsAreOpenedWhenReadsOverlap() throws Exception {
        Path dbDir = dir.resolve("db");
        StoreDatabase.Settings settings = StoreDatabase.Settings.defaults(dbDir);
        try (StoreDatabase db = StoreDatabase.open(settings)) {
            db.write(d -> register(d, P1));
            assertEquals(2, openDbFiles(dbDir), "the writer and one reader");
            assertEquals(true, db.read(d -> StoreQueries.isValid(d, P1)));
            assertEquals(2, openDbFiles(dbDir), "a read alone reuses the idle reader");
            boolean nested = db.read(outer -> {
                try (var other = Executors.newVirtualThreadPerTaskExecutor()) {
                    return other.submit(() -> db.read(d -> StoreQueries.isValid(d, P1))).get();
                } catch (InterruptedException | ExecutionException e) {
                    throw new SQLException(e);
                }
            });
            assertTrue(nested);
            assertEquals(3, openDbFiles(dbDir), "overlapping reads opened a second reader");
            for (int i = 0; i < 8; i++) {
                db.read(d -> StoreQueries.isValid(d, P1));
            }
            assertEquals(3, openDbFiles(dbDir));
        }
    }

    /** This process's descriptors open on {@code dbDir}'s db.sqlite: one per connection. */
    private static long openDbFiles(Path dbDir) throws java.io.IOException {
        Path target = dbDir.resolve("db.sqlite").toAbsolutePath();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(target);
                } catch (java.io.IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        }
    }
}
