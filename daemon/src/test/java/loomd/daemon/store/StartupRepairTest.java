package loomd.daemon.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import loomd.daemon.store.fs.FileTrees;
import loomd.protocol.hash.HashAlgorithm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up check after an unclean stop (simulated: the checkpoint file is put back to what it said
 * before the last adds, marked running, as a power cut before the next group sync leaves it): paths
 * registered after the checkpoint whose contents are damaged are invalidated with their referrers and
 * logged; intact recent paths and everything at or below the checkpoint are left alone; a clean stop
 * or a first start checks nothing.
 */
class StartupRepairTest {
    static final Durability SLOW = new Durability(Durability.Mode.BATCHED, Duration.ofHours(1));

    @TempDir Path dir;
    final List<String> log = new ArrayList<>();
    final Logger jul = Logger.getLogger("loomd.daemon.store.durable.StartupCheck");
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (log) {
                log.add(r.getLevel() + " " + r.getMessage());
            }
        }

        @Override
        public void flush() { }

        @Override
        public void close() { }
    };

    @BeforeEach
    void listen() {
        jul.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        jul.removeHandler(capture);
    }

    static String text(LocalStore s, SessionRoots roots, String name, String body, String... refs) {
        return s.adds().addTextToStore(name, body.getBytes(), new TreeSet<>(List.of(refs)), roots);
    }

    String checkpointFile(StoreConfig config) throws IOException {
        return Files.readString(config.dbDir().resolve("loomd-durable"));
    }

    static void damage(Path file, long keep) throws IOException {
        file.toFile().setWritable(true);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(keep);
        }
    }

    @Test
    void damagedRecentPathsAndTheirReferrersAreInvalidatedAndNothingOlderIsRead() throws Exception {
        StoreConfig config = TestStores.config(dir).withDurability(SLOW);
        String old;
        try (LocalStore s = TestStores.open(config); SessionRoots roots = s.roots().openSessionRoots()) {
            old = text(s, roots, "old", "registered long ago, before the checkpoint");
        }
        assertEquals("loomd durable checkpoint v1\nstate clean\ncheckpoint 1\n", checkpointFile(config));
        String emptied;
        String truncated;
        String deleted;
        String referrer;
        String indirect;
        String intact;
        String intactReferrer;
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("a"), "first file of a tree");
        Files.writeString(tree.resolve("b"), "second file of a tree");
        try (LocalStore s = TestStores.open(config); SessionRoots roots = s.roots().openSessionRoots()) {
            emptied = text(s, roots, "emptied", "a recent text that a power cut empties");
            truncated = text(s, roots, "truncated", "a recent text that a power cut truncates");
            deleted = s.adds().addStaged("tree", true, HashAlgorithm.SHA256,
                    s.adds().stageNar(new ByteArrayInputStream(TestStores.nar(tree))), roots);
            referrer = text(s, roots, "referrer", "refers to the emptied one", emptied);
            indirect = text(s, roots, "indirect", "refers to the referrer", referrer);
            intact = text(s, roots, "intact", "a recent text that survives");
            intactReferrer = text(s, roots, "intact-referrer", "refers to the intact one", intact);
        }
        // The power cut came before any group sync after `old': the file still says checkpoint 1, running.
        Files.writeString(config.dbDir().resolve("loomd-durable"), "loomd durable checkpoint v1\nstate running\ncheckpoint 1\n");
        damage(config.physical(emptied), 0);
        damage(config.physical(truncated), 10);
        FileTrees.deleteRecursively(config.physical(deleted));
        damage(config.physical(old), 0);

        try (LocalStore s = TestStores.open(config)) {
            for (String p : List.of(emptied, truncated, deleted, referrer, indirect)) {
                assertFalse(s.queries().isValidPath(p), p + " is invalid");
            }
            for (String p : List.of(intact, intactReferrer, old)) {
                assertTrue(s.queries().isValidPath(p), p + " is still valid");
            }
            assertEquals("", Files.readString(config.physical(old)), "the old path was not touched");
            assertEquals("loomd durable checkpoint v1\nstate running\ncheckpoint 1\n", checkpointFile(config),
                    "marked running before the first client; no sync yet");
        }
        List<String> lines;
        synchronized (log) {
            lines = List.copyOf(log);
        }
        for (var e : List.of(List.of(emptied, "NAR size 112, expected"), List.of(truncated, "NAR size 128, expected"),
                List.of(deleted, "missing"))) {
            String prefix = "WARNING repair: `" + e.get(0) + "', registered after the last durable checkpoint, is damaged ("
                    + e.get(1);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(prefix) && l.endsWith("): invalidated")),
                    prefix + " in " + lines);
        }
        assertTrue(lines.contains("WARNING repair: `" + referrer + "' refers to invalidated `" + emptied + "': invalidated"),
                lines.toString());
        assertTrue(lines.contains("WARNING repair: `" + indirect + "' refers to invalidated `" + referrer + "': invalidated"),
                lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("INFO start-up verification: 7 paths registered after"
                + " durable checkpoint 1 checked in ") && l.endsWith("; 3 damaged, 5 invalidated")), lines.toString());
        assertFalse(lines.stream().anyMatch(l -> l.contains(old)), "the old path is never read: " + lines);
    }

    @Test
    void aCleanStopAndAFirstStartCheckNothing() throws Exception {
        StoreConfig config = TestStores.config(dir).withDurability(SLOW);
        String p;
        try (LocalStore s = TestStores.open(config); SessionRoots roots = s.roots().openSessionRoots()) {
            p = text(s, roots, "one", "one");
        }
        damage(config.physical(p), 0);
        try (LocalStore s = TestStores.open(config)) {
            assertTrue(s.queries().isValidPath(p), "clean stop: nothing after the checkpoint");
        }
        Files.delete(config.dbDir().resolve("loomd-durable"));
        try (LocalStore s = TestStores.open(config)) {
            assertTrue(s.queries().isValidPath(p), "first start of loomd on this store: the rows are taken as durable");
        }
        assertEquals("loomd durable checkpoint v1\nstate clean\ncheckpoint 1\n", checkpointFile(config));
        synchronized (log) {
            assertFalse(log.stream().anyMatch(l -> l.contains("verification")), log.toString());
        }
    }

    /** Batched mode: the checkpoint follows the adds within the flush interval, without a clean stop. */
    @Test
    void theFlusherAdvancesTheCheckpointWithinItsInterval() throws Exception {
        StoreConfig config = TestStores.config(dir)
                .withDurability(new Durability(Durability.Mode.BATCHED, Duration.ofMillis(50)));
        try (LocalStore s = TestStores.open(config); SessionRoots roots = s.roots().openSessionRoots()) {
            for (int i = 0; i < 5; i++) text(s, roots, "n" + i, "text " + i);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!checkpointFile(config).endsWith("checkpoint 5\n") && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals("loomd durable checkpoint v1\nstate running\ncheckpoint 5\n", checkpointFile(config));
        }
    }
}
