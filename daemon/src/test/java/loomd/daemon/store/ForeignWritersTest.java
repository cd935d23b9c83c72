package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import loomd.daemon.store.fs.FileTrees;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Other processes write the same store: an upstream guix-daemon's GC deletes paths, guix's Scheme
 * code or {@code sqlite3} registers some. The store's caches must not answer from before such a
 * change: reads see it once the trust window is over, and any write of this store sees it at once.
 * The other process here is a separate SQLite connection, which is all SQLite can tell apart.
 */
class ForeignWritersTest {
    static final String HELLO = LocalStoreTest.HELLO_TEXT;
    static final String EMPTY = LocalStoreTest.EMPTY_TEXT;
    static final String REFS = LocalStoreTest.REFS_TEXT;

    @TempDir Path dir;

    static void foreign(StoreConfig config, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + config.dbDir().resolve("db.sqlite"));
             Statement st = c.createStatement()) {
            st.execute("pragma foreign_keys = 1;");
            for (String sql : statements) st.executeUpdate(sql);
        }
    }

    static String insertRow(String path) {
        return "insert into ValidPaths (path, hash, registrationTime, deriver, narSize) values ('" + path
                + "', 'sha256:" + "0".repeat(64) + "', 1, null, 7);";
    }

    @Test
    void cachedAnswersGiveWayToAnotherProcesssDeletionsAndRegistrations() throws Exception {
        Duration trust = Duration.ofMillis(50);
        StoreConfig config = TestStores.config(dir).withDatabaseLimits(Duration.ofSeconds(5), trust);
        try (LocalStore store = TestStores.open(config); SessionRoots roots = store.roots().openSessionRoots()) {
            PathQueries q = store.queries();
            store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            store.adds().addTextToStore("empty.txt", new byte[0], new TreeSet<>(), roots);
            for (int i = 0; i < 3; i++) {
                assertTrue(q.isValidPath(HELLO));
                assertTrue(q.queryPathInfo(HELLO).isPresent());
                assertEquals(Set.of(HELLO, EMPTY), q.queryValidPaths(List.of(HELLO, EMPTY, REFS)));
            }
            foreign(config, "delete from ValidPaths where path = '" + HELLO + "';", insertRow(REFS));
            Thread.sleep(trust.toMillis() * 2);
            assertFalse(q.isValidPath(HELLO), "deleted by another process");
            assertTrue(q.queryPathInfo(HELLO).isEmpty());
            assertTrue(q.isValidPath(REFS), "registered by another process");
            assertEquals(7, q.pathInfoOrThrow(REFS).narSize());
            for (int i = 0; i < 3; i++) {
                assertEquals(Set.of(EMPTY, REFS), q.queryValidPaths(List.of(HELLO, EMPTY, REFS)), "and it stays so");
                assertFalse(q.isValidPath(HELLO));
            }
        }
    }

    /**
     * With caches trusted for an hour, only a write of this store can notice the other process: the
     * add itself (which never trusts the cache) and every query after it.
     */
    @Test
    void addTextMakesAgainAPathAnotherProcessDeletedAndTheWriteDropsStaleAnswers() throws Exception {
        StoreConfig config = TestStores.config(dir).withDatabaseLimits(Duration.ofSeconds(5), Duration.ofHours(1));
        try (LocalStore store = TestStores.open(config); SessionRoots roots = store.roots().openSessionRoots()) {
            PathQueries q = store.queries();
            store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            store.adds().addTextToStore("empty.txt", new byte[0], new TreeSet<>(), roots);
            assertTrue(q.isValidPath(HELLO));
            assertTrue(q.isValidPath(EMPTY));
            // What a collector of another daemon does: the row, then the files.
            foreign(config, "delete from ValidPaths where path in ('" + HELLO + "', '" + EMPTY + "');");
            FileTrees.deleteRecursively(config.physical(HELLO));
            FileTrees.deleteRecursively(config.physical(EMPTY));
            assertTrue(q.isValidPath(EMPTY), "within the trust window the cache still answers");

            assertEquals(HELLO, store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots));
            assertEquals("hello\n", Files.readString(config.physical(HELLO)), "made again, not just named");
            assertTrue(q.isValidPath(HELLO));
            assertFalse(q.isValidPath(EMPTY), "the write noticed the other process and dropped the caches");
            assertTrue(q.queryPathInfo(EMPTY).isEmpty());
        }
    }

    /**
     * A path this daemon registers is cached as valid by the registration itself, so the client's
     * next valid-path? reads nothing; like any cached answer it gives way at the next write that
     * notices another process's commit.
     */
    @Test
    void aRegisteredPathIsCachedValidUntilAWriteSeesAnotherProcesssCommit() throws Exception {
        StoreConfig config = TestStores.config(dir).withDatabaseLimits(Duration.ofSeconds(5), Duration.ofHours(1));
        try (LocalStore store = TestStores.open(config); SessionRoots roots = store.roots().openSessionRoots()) {
            PathQueries q = store.queries();
            store.adds().addTextToStore("hello.txt", "hello\n".getBytes(), new TreeSet<>(), roots);
            foreign(config, "delete from ValidPaths where path = '" + HELLO + "';");
            assertTrue(q.isValidPath(HELLO), "answered from the registration's entry, no read");
            store.adds().addTextToStore("empty.txt", new byte[0], new TreeSet<>(), roots);
            assertFalse(q.isValidPath(HELLO), "the next write noticed the deletion and dropped the entry");
            assertTrue(q.isValidPath(EMPTY));
        }
    }
}
