package loomd.test.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import loomd.protocol.nar.NarWriter;
import loomd.test.support.TestNar;

/**
 * The collector's races against the real daemon (issue 11, "Races"): kill -9 in the middle of a
 * deleting collection, a path added again while the collector is deleting it, and sixteen sessions
 * adding and rooting paths while collections run back to back. Each ends with the campaign's
 * {@link StoreInvariants}: every rooted path valid with its registered hash, every valid path with
 * its contents, every reference valid.
 */
class GcRaceTest {
    static final String S = "/gnu/store";

    @TempDir Path dir;

    static StoreClient client(DaemonProcess d) throws IOException {
        return StoreClient.connectUnix(d.socketPath(), ClientOptions.DEFAULT);
    }

    static StoreClient client(DaemonProcess d, java.util.function.Consumer<String> log) throws IOException {
        return StoreClient.connectUnix(d.socketPath(), ClientOptions.DEFAULT.withLog(log));
    }

    static StoreInvariants invariants(DaemonProcess d) {
        return new StoreInvariants(d.dbFile(), d.physicalStoreDir(), S);
    }

    static String addDir(StoreClient c, String name, String text) throws IOException {
        byte[] nar = TestNar.of(new TestNar.Dir(Map.of(
                "a.txt", new TestNar.File(text.getBytes(StandardCharsets.UTF_8), false),
                "sub", new TestNar.Dir(Map.of("b.txt", new TestNar.File((text + "b").getBytes(StandardCharsets.UTF_8), true))))));
        return c.addToStore(name, true, "sha256", new ByteArrayInputStream(nar));
    }

    static String hashOf(StoreClient c, String path) throws IOException {
        return "sha256:" + c.queryPathInfo(path).narHash();
    }

    static void killNine(DaemonProcess d) throws InterruptedException {
        List<ProcessHandle> helpers = d.process().descendants().toList();
        d.process().destroyForcibly().waitFor();
        helpers.forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void killNineMidCollectionLosesNoLivePathAndTheNextStartRemovesTheTrash() throws Exception {
        Path root = dir.resolve("d");
        Map<String, String> rooted = new ConcurrentHashMap<>();
        AtomicInteger deleting = new AtomicInteger();
        AtomicBoolean cut = new AtomicBoolean();
        try (DaemonProcess d = DaemonProcess.builder(root).start()) {
            Path gcroots = d.stateDir().resolve("gcroots");
            try (StoreClient c = client(d)) {
                String previous = null;
                for (int i = 0; i < 150; i++) {
                    String live = i % 2 == 0 ? addDir(c, "live-" + i, "live " + i)
                            : c.addTextToStore("live-" + i, "live " + i, previous == null ? List.of() : List.of(previous));
                    Files.createSymbolicLink(gcroots.resolve("live-" + i), Path.of(live));
                    rooted.put(live, hashOf(c, live));
                    previous = live;
                }
                List<String> lives = new ArrayList<>(rooted.keySet());
                for (int i = 0; i < 3000; i++) {
                    if (i % 3 == 0) addDir(c, "dead-" + i, "dead " + i);
                    else c.addTextToStore("dead-" + i, "dead " + i, List.of(lives.get(i % lives.size())));
                }
            }
            try (StoreClient gc = client(d, line -> {
                if (line.contains("] deleting '") && deleting.incrementAndGet() == 300) {
                    cut.set(true);
                    try {
                        killNine(d);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            })) {
                assertThrowsIo(() -> gc.collectGarbage(Long.MAX_VALUE));
            }
            assertTrue(cut.get(), "the daemon died in the middle of the collection");
        }
        assertTrue(Files.isDirectory(root.resolve("gnu/store/trash"), LinkOption.NOFOLLOW_LINKS),
                "killed while the trash held moved trees");
        try (DaemonProcess d = DaemonProcess.builder(root).start(); StoreClient c = client(d)) {
            assertFalse(Files.exists(d.physicalStoreDir().resolve("trash"), LinkOption.NOFOLLOW_LINKS),
                    "the next start removes the interrupted collection's trash");
            List<String> violations = invariants(d).check(rooted, true);
            violations.removeIf(v -> v.startsWith("contents without registration: "));
            assertEquals(List.of(), violations, "after the restart");
            c.collectGarbage(Long.MAX_VALUE);
            assertEquals(List.of(), invariants(d).check(rooted, true), "after the next collection");
            for (String p : rooted.keySet()) assertTrue(c.isValidPath(p), p);
        }
    }

    interface IoCall {
        void run() throws IOException;
    }

    static void assertThrowsIo(IoCall call) {
        try {
            call.run();
        } catch (IOException e) {
            return; // the connection died with the daemon
        }
        throw new AssertionError("the collection finished before the kill; make the store bigger");
    }

    @Test
    void aPathAddedAgainWhileTheCollectorDeletesItEndsValidWithItsContents() throws Exception {
        int deleted = 0;
        try (DaemonProcess d = DaemonProcess.builder(dir.resolve("d")).start(); StoreClient gc = client(d);
             var pool = Executors.newFixedThreadPool(1)) {
            for (int round = 0; round < 200; round++) {
                String name = "again-" + round;
                String text = "again " + round;
                String path;
                try (StoreClient first = client(d)) {
                    path = addDir(first, name, text);
                }
                try (StoreClient again = client(d)) {
                    Future<Boolean> collector = pool.submit(() -> deleteIfDead(gc, path));
                    TimeUnit.MICROSECONDS.sleep(ThreadLocalRandom.current().nextInt(15_000));
                    assertEquals(path, addDir(again, name, text));
                    if (collector.get(60, TimeUnit.SECONDS)) deleted++;
                    assertTrue(again.isValidPath(path), "acknowledged and temp-rooted: " + path);
                    Path contents = d.physicalStoreDir().resolve(path.substring(S.length() + 1));
                    assertTrue(Files.isRegularFile(contents.resolve("sub/b.txt")), "with its contents: " + path);
                    assertEquals(hashOf(again, path), "sha256:" + NarWriter.hash(contents).narHash().toBase16());
                }
            }
            List<String> violations = invariants(d).check(Map.of(), true);
            violations.removeIf(v -> v.startsWith("contents without registration: "));
            assertEquals(List.of(), violations);
        }
        assertTrue(deleted > 0, "some rounds deleted the path before or while it was added again");
    }

    /** True if the collector deleted {@code path}; false if it found it alive (added again first). */
    static boolean deleteIfDead(StoreClient gc, String path) throws IOException {
        try {
            return gc.deletePaths(List.of(path), Long.MAX_VALUE).paths().contains(path);
        } catch (DaemonException e) {
            if (e.getMessage().contains("since it is still alive")) return false;
            throw e;
        }
    }

    @Test
    void sixteenSessionsAddingAndRootingWhileCollectionsRunBackToBackLoseNothing() throws Exception {
        Map<String, String> rooted = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger collections = new AtomicInteger();
        try (DaemonProcess d = DaemonProcess.builder(dir.resolve("d")).start();
             var pool = Executors.newFixedThreadPool(17)) {
            Path links = Files.createDirectories(dir.resolve("links"));
            CountDownLatch started = new CountDownLatch(16);
            List<Future<?>> sessions = new ArrayList<>();
            for (int s = 0; s < 16; s++) {
                int session = s;
                sessions.add(pool.submit(() -> session(d, session, links, rooted, stop, started)));
            }
            Future<?> collector = pool.submit(() -> {
                try (StoreClient c = client(d)) {
                    while (!stop.get()) {
                        c.collectGarbage(Long.MAX_VALUE);
                        collections.incrementAndGet();
                    }
                }
                return null;
            });
            assertTrue(started.await(60, TimeUnit.SECONDS));
            TimeUnit.SECONDS.sleep(20);
            stop.set(true);
            for (Future<?> f : sessions) f.get(120, TimeUnit.SECONDS);
            collector.get(120, TimeUnit.SECONDS);
            assertTrue(collections.get() >= 3, "collections: " + collections.get());
            assertTrue(rooted.size() >= 16, "rooted: " + rooted.size());
            List<String> violations = invariants(d).check(rooted, true);
            violations.removeIf(v -> v.startsWith("contents without registration: "));
            assertEquals(List.of(), violations, collections.get() + " collections, " + rooted.size() + " rooted paths");
        }
    }

    /**
     * One session: adds text and directory paths, each text referring to the previous path; every
     * tenth gets an indirect root (which outlives the session); every path is checked at once, and
     * all of them again before the session ends.
     */
    static Void session(DaemonProcess d, int session, Path links, Map<String, String> rooted, AtomicBoolean stop,
                        CountDownLatch started) throws IOException {
        started.countDown();
        int n = 0;
        while (!stop.get()) {
            try (StoreClient c = client(d)) {
                List<String> mine = new ArrayList<>();
                String previous = null;
                for (int i = 0; i < 40 && !stop.get(); i++, n++) {
                    String name = "s" + session + "-" + n;
                    String p = n % 2 == 0 ? addDir(c, name, name)
                            : c.addTextToStore(name, name, previous == null ? List.of() : List.of(previous));
                    if (n % 10 == 0) {
                        Path link = links.resolve(name);
                        Files.createSymbolicLink(link, Path.of(p));
                        c.addIndirectRoot(link.toString());
                        rooted.put(p, hashOf(c, p));
                    }
                    mine.add(p);
                    previous = p;
                    String check = mine.get(ThreadLocalRandom.current().nextInt(mine.size()));
                    if (!isWhole(d, c, check)) throw new AssertionError("temp-rooted path lost: " + check);
                }
                for (String p : mine) if (!isWhole(d, c, p)) throw new AssertionError("temp-rooted path lost: " + p);
            }
        }
        return null;
    }

    static boolean isWhole(DaemonProcess d, StoreClient c, String p) throws IOException {
        return c.isValidPath(p) && Files.exists(d.physicalStoreDir().resolve(p.substring(S.length() + 1)), LinkOption.NOFOLLOW_LINKS);
    }
}
