package loomd.daemon.store.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import loomd.daemon.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit on the writer thread: writes queued while one runs share the next transaction, each
 * in its own savepoint, so a failing write is rolled back alone and the others commit together.
 */
class GroupCommitTest {
    static final String HASH = "a".repeat(64);

    @TempDir Path dir;

    static String path(int i) {
        return String.format("/gnu/store/%032d-p", i);
    }

    static long count(Db d) throws SQLException {
        try (ResultSet rs = d.stmt("select count(*) from ValidPaths;").executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static long register(Db d, int i) throws SQLException {
        return StoreQueries.register(d, List.of(Registration.of(path(i), HASH, 1, new TreeSet<>(), "")), r -> { }, 1);
    }

    @Test
    void queuedWritesShareOneTransactionAndAFailingOneIsRolledBackAlone() throws Exception {
        int queued = 10;
        int failing = 4;
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            CountDownLatch inFirst = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Long> first = CompletableFuture.supplyAsync(() -> db.write(d -> {
                inFirst.countDown();
                awaitQuietly(release);
                return register(d, 0);
            }), r -> Thread.ofVirtual().start(r));
            assertTrue(inFirst.await(10, TimeUnit.SECONDS));
            // What each queued write sees: rows in its own transaction, and rows another connection sees.
            Map<Integer, List<Long>> seen = new ConcurrentHashMap<>();
            StoreException failure = new StoreException("write 4 fails after inserting its row");
            List<Thread> writers = new ArrayList<>();
            List<CompletableFuture<Object>> results = new ArrayList<>();
            for (int i = 1; i <= queued; i++) {
                int n = i;
                CompletableFuture<Object> result = new CompletableFuture<>();
                results.add(result);
                writers.add(Thread.ofVirtual().start(() -> {
                    try {
                        result.complete(db.write(d -> {
                            register(d, n);
                            seen.put(n, List.of(count(d), db.read(GroupCommitTest::count)));
                            if (n == failing) throw failure;
                            return n;
                        }));
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                }));
            }
            awaitAllParked(writers);
            release.countDown();
            assertEquals(1L, first.get(10, TimeUnit.SECONDS));
            for (int i = 1; i <= queued; i++) {
                if (i == failing) {
                    var e = assertThrowsCause(results.get(i - 1));
                    assertSame(failure, e, "the work's exception, unchanged");
                } else {
                    assertEquals(i, results.get(i - 1).get(10, TimeUnit.SECONDS));
                }
            }
            // Inside its transaction each write saw its own row on top of the first, while another
            // connection saw only the first: no write of the group committed before the others ran.
            for (int i = 1; i <= queued; i++) {
                assertTrue(seen.get(i).get(0) >= 2, "write " + i + " " + seen.get(i));
                assertEquals(1L, seen.get(i).get(1), "write " + i + " ran before any commit of the group");
            }
            assertEquals((long) queued, (long) db.read(GroupCommitTest::count), "all but the failed one, plus the first");
            assertEquals(Map.of(), db.read(d -> StoreQueries.validIds(d, List.of(path(failing)))));
            assertEquals((long) queued, db.read(StoreQueries::highestId), "the failed insert's id was rolled back too");
        }
    }

    private static Throwable assertThrowsCause(CompletableFuture<Object> f) throws InterruptedException {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer", e);
        }
        throw new AssertionError("expected a failure");
    }

    /** Each writer is parked in {@code write}, so its work is queued. */
    private static void awaitAllParked(List<Thread> writers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (writers.stream().anyMatch(t -> t.getState() != Thread.State.WAITING)) {
            if (System.nanoTime() > deadline) throw new AssertionError("writers not queued");
            Thread.sleep(5);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
