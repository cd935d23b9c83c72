package loomd.test.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.protocol.nar.NarWriter;
import loomd.test.support.DaemonProcess;
import loomd.test.support.TestNar;
import loomd.test.support.Trees;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability contract through the real daemon (the store package documentation, "Durability"):
 * kill -9 under 16 writers loses nothing acknowledged and leaves no registered path without its
 * contents; a simulated power cut (the checkpoint behind, recent files emptied, truncated, deleted
 * while the daemon is down) is repaired at the next start, before the first client is answered,
 * referrers included, and nothing at or below the checkpoint is read.
 */
class CrashRecoveryTest {
    /** No group sync on its own during the test: the checkpoint stays where the start put it. */
    static final String NEVER_FLUSH = "--flush-interval=3600000";

    @TempDir Path dir;

    static StoreClient client(DaemonProcess d) throws IOException {
        return StoreClient.connectUnix(d.socketPath(), ClientOptions.DEFAULT);
    }

    static String narHash(byte[] nar) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(nar));
    }

    static void killNine(DaemonProcess d) throws InterruptedException {
        List<ProcessHandle> helpers = d.process().descendants().toList();
        d.process().destroyForcibly().waitFor();
        helpers.forEach(ProcessHandle::destroyForcibly);
    }

    Path physical(DaemonProcess d, String path) {
        return d.physicalStoreDir().resolve(path.substring("/gnu/store/".length()));
    }

    @Test
    void killNineUnderSixteenWritersLosesNothingAcknowledged() throws Exception {
        Path root = dir.resolve("d");
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean killed = new AtomicBoolean();
        try (DaemonProcess daemon = DaemonProcess.builder(root).start()) {
            CountDownLatch started = new CountDownLatch(16);
            List<Future<?>> writers = new ArrayList<>();
            try (var pool = Executors.newFixedThreadPool(16)) {
                for (int w = 0; w < 16; w++) {
                    int writer = w;
                    writers.add(pool.submit(() -> write(daemon, writer, acknowledged, killed, started)));
                }
                assertTrue(started.await(60, TimeUnit.SECONDS));
                // Several group syncs pass (one a second), and adds go on after the last one.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (acknowledged.size() < 1000 && System.nanoTime() < deadline) Thread.sleep(20);
                killed.set(true);
                killNine(daemon);
                for (Future<?> f : writers) f.get(60, TimeUnit.SECONDS);
            }
        }
        assertTrue(acknowledged.size() > 100, "the writers got going: " + acknowledged.size());
        try (DaemonProcess daemon = DaemonProcess.builder(root).start(); StoreClient c = client(daemon)) {
            String log = daemon.log();
            log.lines().filter(l -> l.contains("start-up verification")).forEach(l ->
                    System.out.println("kill -9 with " + acknowledged.size() + " adds acknowledged; restart: " + l));
            assertTrue(log.matches("(?s).*start-up verification: \\d+ paths registered after durable checkpoint \\d+"
                    + " checked in \\d+ ms; 0 damaged, 0 invalidated.*"), log);
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                assertTrue(c.isValidPath(e.getKey()), "acknowledged, so valid: " + e.getKey());
                assertEquals(e.getValue(), c.queryPathInfo(e.getKey()).narHash(), e.getKey());
            }
            List<String> valid = c.queryAllValidPaths();
            assertTrue(valid.size() >= acknowledged.size());
            for (String p : valid) {
                assertEquals(c.queryPathInfo(p).narHash(), NarWriter.hash(physical(daemon, p)).narHash().toBase16(),
                        "a valid path has its contents: " + p);
            }
        }
    }

    /** Adds until the daemon dies; records each acknowledged path with the NAR hash it must have. */
    private Void write(DaemonProcess daemon, int writer, Map<String, String> acknowledged, AtomicBoolean killed,
                       CountDownLatch started) throws Exception {
        try (StoreClient c = client(daemon)) {
            started.countDown();
            for (int i = 0; !killed.get(); i++) {
                String text = "writer " + writer + " text " + i + "\n".repeat(i % 7);
                String path;
                String hash;
                if (i % 5 == 4) {
                    byte[] nar = StoreDaemonTest.bigTreeNar(2 + i % 3, 100 + writer);
                    path = c.addToStore("tree-" + writer + "-" + i, true, "sha256", new ByteArrayInputStream(nar));
                    hash = narHash(nar);
                } else {
                    path = c.addTextToStore("text-" + writer + "-" + i, text, List.of());
                    hash = narHash(TestNar.file(text));
                }
                acknowledged.put(path, hash);
            }
        } catch (IOException | RuntimeException e) {
            if (!killed.get()) throw e;
        }
        return null;
    }

    @Test
    void aPowerCutIsRepairedBeforeTheFirstClientAndNothingOlderIsRead() throws Exception {
        Path root = dir.resolve("d");
        String old;
        try (DaemonProcess daemon = DaemonProcess.builder(root).start(); StoreClient c = client(daemon)) {
            old = c.addTextToStore("old", "registered before the last checkpoint", List.of());
        } // SIGTERM: a clean stop, whose checkpoint covers `old'
        Map<String, String> recent = new TreeMap<>();
        try (DaemonProcess daemon = DaemonProcess.builder(root).args(NEVER_FLUSH).start(); StoreClient c = client(daemon)) {
            recent.put("emptied", c.addTextToStore("emptied", "a recent text that the power cut empties", List.of()));
            recent.put("truncated", c.addTextToStore("truncated", "a recent text that the power cut truncates", List.of()));
            recent.put("deleted", c.addToStore("tree", true, "sha256",
                    new ByteArrayInputStream(StoreDaemonTest.bigTreeNar(3, 1000))));
            recent.put("referrer", c.addTextToStore("referrer", "refers to the emptied one", List.of(recent.get("emptied"))));
            recent.put("intact", c.addTextToStore("intact", "a recent text that survives", List.of()));
            recent.put("intact-referrer", c.addTextToStore("intact-referrer", "refers to the intact one",
                    List.of(recent.get("intact"))));
            killNine(daemon);
        }
        // What a power cut before the next group sync can leave: empty, short and missing contents.
        truncate(physical(root, recent.get("emptied")), 0);
        truncate(physical(root, recent.get("truncated")), 7);
        Trees.delete(physical(root, recent.get("deleted")));
        truncate(physical(root, old), 0);

        try (DaemonProcess daemon = DaemonProcess.builder(root).start(); StoreClient c = client(daemon)) {
            for (String k : List.of("emptied", "truncated", "deleted", "referrer")) {
                assertFalse(c.isValidPath(recent.get(k)), k + " is invalid");
            }
            for (String k : List.of("intact", "intact-referrer")) {
                assertTrue(c.isValidPath(recent.get(k)), k + " is valid");
            }
            assertTrue(c.isValidPath(old), "at or below the checkpoint: never read, never touched");
            assertEquals("", Files.readString(physical(root, old)));
            String log = daemon.log();
            int listening = log.indexOf("listening on ");
            assertTrue(listening > 0, log);
            for (String k : List.of("emptied", "truncated", "deleted")) {
                int at = log.indexOf("repair: `" + recent.get(k) + "', registered after the last durable checkpoint,"
                        + " is damaged (");
                assertTrue(at > 0 && at < listening, k + " repaired before listening:\n" + log);
            }
            int referrer = log.indexOf("repair: `" + recent.get("referrer") + "' refers to invalidated `"
                    + recent.get("emptied") + "': invalidated");
            assertTrue(referrer > 0 && referrer < listening, log);
            int summary = log.indexOf("start-up verification: 6 paths registered after durable checkpoint 1 checked in ");
            assertTrue(summary > 0 && summary < listening && log.substring(summary).contains("; 3 damaged, 4 invalidated"),
                    log);
            assertFalse(log.contains(old), "the old path is not verified: " + log);
        }
    }

    Path physical(Path root, String path) {
        return root.resolve("gnu/store").resolve(path.substring("/gnu/store/".length()));
    }

    static void truncate(Path file, long size) throws IOException {
        file.toFile().setWritable(true);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }
}
