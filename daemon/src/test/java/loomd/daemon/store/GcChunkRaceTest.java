package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import loomd.daemon.store.gc.GcRequest;
import loomd.daemon.store.gc.GcRequest.Action;
import loomd.daemon.store.gc.GcResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The races inside one deletion chunk, whose paths are invalidated in several short transactions:
 * between two of them another session's writes run. Two dead paths {@code first} (newer row, so
 * deleted first) and {@code second} share a chunk; a trigger makes each delete outlast a
 * transaction's time budget, so each path gets its own transaction, and the progress line of
 * {@code first} (printed after its transaction, before the next) is where a session acts.
 */
@Timeout(60)
class GcChunkRaceTest {
    @TempDir Path dir;
    StoreConfig config;
    LocalStore store;
    SessionRoots late;
    String second;
    String first;

    @BeforeEach
    void open() throws Exception {
        config = TestStores.config(dir);
        store = TestStores.open(config);
        second = unrooted("second.txt");
        first = unrooted("first.txt");
        // An established session (its temp-roots file exists), as in GarbageCollectorTest.
        late = store.roots().openSessionRoots();
        late.addTempRoot(unrooted("other.txt"));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + config.dbDir().resolve("db.sqlite"));
             Statement s = c.createStatement()) {
            s.execute("create table Slow (n integer);");
            s.execute("insert into Slow select value from (select 1 as value union all select 2 union all select 3"
                    + " union all select 4 union all select 5 union all select 6 union all select 7 union all select 8);");
            for (int i = 0; i < 2; i++) s.execute("insert into Slow select n from Slow;");
            // 32^4 rows visited per delete: tens of milliseconds, above the 3 ms budget of a transaction.
            s.execute("create trigger SlowDelete before delete on ValidPaths begin"
                    + " select count(*) from Slow a, Slow b, Slow c, Slow d; end;");
        }
    }

    @AfterEach
    void close() {
        late.close();
        store.close();
    }

    private String unrooted(String name) {
        try (SessionRoots roots = store.roots().openSessionRoots()) {
            return store.adds().addTextToStore(name, name.getBytes(StandardCharsets.UTF_8), new TreeSet<>(), roots);
        }
    }

    private boolean onDisk(String path) {
        return Files.exists(config.physical(path), LinkOption.NOFOLLOW_LINKS);
    }

    /** Delete-dead, running {@code between} once, on the collector's thread, after {@code first}'s transaction. */
    private GcResult deleteDead(Runnable between) {
        AtomicBoolean ran = new AtomicBoolean();
        Consumer<String> info = line -> {
            if (line.endsWith("deleting '" + first + "'") && ran.compareAndSet(false, true)) between.run();
        };
        GcResult r = store.gc().collectGarbage(new GcRequest(Action.DELETE_DEAD, List.of(), -1, false, true, true), info);
        assertTrue(ran.get(), "the collector deleted " + first);
        return r;
    }

    @Test
    void aTempRootAddedBetweenTwoTransactionsOfAChunkKeepsItsPathOrComesAfterIt() throws Exception {
        boolean[] validWhenRooted = new boolean[1];
        Thread[] session = new Thread[1];
        GcResult r = deleteDead(() -> {
            // As a session: root the path, then rely on it only if it is still valid.
            session[0] = Thread.ofVirtual().start(() -> {
                late.addTempRoot(second);
                validWhenRooted[0] = store.queries().isValidPath(second);
            });
            try {
                session[0].join(Duration.ofMillis(300));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        session[0].join();
        if (validWhenRooted[0]) {
            assertTrue(store.queries().isValidPath(second) && onDisk(second), "a rooted valid path was deleted");
            assertEquals(Set.of(first), r.paths());
        } else {
            assertFalse(onDisk(second));
            assertEquals(Set.of(first, second), r.paths());
        }
    }

    @Test
    void aReferrerRegisteredBetweenTwoTransactionsOfAChunkKeepsItsReference() {
        String[] referrer = new String[1];
        GcResult r = deleteDead(() -> assertTrue(GarbageCollectorTest.aside(() -> referrer[0] = store.adds()
                .addTextToStore("c.txt", "c".getBytes(StandardCharsets.UTF_8), new TreeSet<>(List.of(second)), late),
                Duration.ofSeconds(30)), "the registration waited for the chunk"));
        assertEquals(Set.of(first), r.paths());
        for (String p : List.of(second, referrer[0])) {
            assertTrue(store.queries().isValidPath(p) && onDisk(p), p);
        }
    }
}
