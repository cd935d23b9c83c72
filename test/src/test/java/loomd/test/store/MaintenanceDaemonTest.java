package loomd.test.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.GcResult;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.test.build.Derivations;
import loomd.test.support.DaemonFixture;
import loomd.test.support.TestNar;

/**
 * Deduplication, {@code wopOptimiseStore}, {@code wopVerifyStore} and the collector's cleaning of
 * {@code .links} against the real daemon (daemon.md §7.5, §8.1, §8.2).
 */
class MaintenanceDaemonTest {
    static final String S = "/gnu/store";

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture();

    @RegisterExtension
    static final DaemonFixture noDedup = new DaemonFixture(b -> b.args("--disable-deduplication"));

    @TempDir
    Path tmp;

    static byte[] big(int seed) {
        byte[] b = new byte[20000];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (i * seed + 3);
        return b;
    }

    static String addPair(StoreClient c, String name, byte[] big, boolean executable) throws Exception {
        byte[] nar = TestNar.of(new TestNar.Dir(Map.of(
                "big.bin", new TestNar.File(big, executable),
                "tiny.bin", new TestNar.File((name + "\n").getBytes(StandardCharsets.UTF_8), false))));
        return c.addToStore(name, true, "sha256", new ByteArrayInputStream(nar));
    }

    static int nlink(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
    }

    static Path physical(DaemonFixture d, String path) {
        return d.process().physicalStoreDir().resolve(path.substring(S.length() + 1));
    }

    static Path links(DaemonFixture d) {
        return d.process().physicalStoreDir().resolve(".links");
    }

    static long linkCount(DaemonFixture d) throws Exception {
        try (var s = Files.list(links(d))) {
            return s.count();
        }
    }

    @Test
    void addsAreDeduplicatedButNotAcrossTheExecutableBitNorBelow8192Bytes() throws Exception {
        StoreClient c = daemon.client();
        byte[] big = big(7);
        String a = addPair(c, "ded-a", big, false);
        String b = addPair(c, "ded-b", big, false);
        String x = addPair(c, "ded-x", big, true);
        assertEquals(3, nlink(physical(daemon, a).resolve("big.bin")));
        assertEquals(3, nlink(physical(daemon, b).resolve("big.bin")));
        assertEquals(2, nlink(physical(daemon, x).resolve("big.bin")), "the executable bit is part of the key");
        assertEquals(1, nlink(physical(daemon, a).resolve("tiny.bin")), "small files are never linked");
        String text = c.addTextToStore("big-text", "t".repeat(9000), List.of());
        String text2 = c.addTextToStore("big-text-2", "t".repeat(9000), List.of());
        assertEquals(3, nlink(physical(daemon, text2)), "add-text deduplicates too: " + text);
        assertFalse(c.verifyStore(true, false), "linking changes no NAR hash");
    }

    @Test
    void withDeduplicationDisabledAddsAreNotLinkedAndOptimiseLinksThemAndIsIdempotent() throws Exception {
        List<String> messages = new ArrayList<>();
        try (StoreClient c = noDedup.process().client(); StoreClient log = StoreClient.connectUnix(
                noDedup.process().socketPath(), ClientOptions.DEFAULT.withLog(messages::add))) {
            byte[] big = big(11);
            String a = addPair(c, "nd-a", big, false);
            String b = addPair(c, "nd-b", big, false);
            assertEquals(1, nlink(physical(noDedup, b).resolve("big.bin")));
            assertEquals(0, linkCount(noDedup));
            assertTrue(log.optimiseStore());
            assertEquals(List.of("0.02 MiB freed by hard-linking 1 files\n"), messages);
            assertEquals(3, nlink(physical(noDedup, a).resolve("big.bin")));
            messages.clear();
            assertTrue(log.optimiseStore());
            assertEquals(List.of("0.00 MiB freed by hard-linking 0 files\n"), messages, "nothing left to link");
            assertFalse(log.verifyStore(true, false));
        }
    }

    @Test
    void theCollectorRemovesLinksNoStoreFileUsesAndKeepsSharedOnes() throws Exception {
        String a;
        String b;
        byte[] gone = big(13);
        byte[] kept = big(17);
        try (StoreClient throwaway = daemon.process().client()) {
            a = addPair(throwaway, "gc-link-a", gone, false);
            b = addPair(throwaway, "gc-link-b", gone, false);
        }
        String live = addPair(daemon.client(), "gc-link-live", kept, false);
        try (StoreClient throwaway = daemon.process().client()) {
            addPair(throwaway, "gc-link-dead", kept, false);
        }
        long before = linkCount(daemon);
        List<String> messages = new ArrayList<>();
        try (StoreClient c = StoreClient.connectUnix(daemon.process().socketPath(),
                ClientOptions.DEFAULT.withLog(messages::add))) {
            GcResult r = c.deletePaths(List.of(a, b), Long.MAX_VALUE);
            assertEquals(2, r.paths().size());
            assertTrue(r.bytesFreed() >= gone.length, "the .links entry's bytes are freed: " + r.bytesFreed());
        }
        assertTrue(messages.contains("deleting unused links...\n"), messages.toString());
        assertEquals(before - 1, linkCount(daemon), "the entry of the deleted pair is gone");
        assertEquals(3, nlink(physical(daemon, live).resolve("big.bin")), "a link shared with a live path stays");
        daemon.client().collectGarbage(Long.MAX_VALUE);
        assertEquals(2, nlink(physical(daemon, live).resolve("big.bin")), "the dead twin went, the entry stays");
    }

    @Test
    void verifyRemovesAVanishedPathAndReportsOneThatIsStillReferred() throws Exception {
        StoreClient c = daemon.client();
        String alone = c.addTextToStore("vanish-alone", "alone\n", List.of());
        String dep = c.addTextToStore("vanish-dep", "dep\n", List.of());
        String referrer = c.addTextToStore("vanish-referrer", "refers to " + dep + "\n", List.of(dep));
        Files.delete(physical(daemon, alone));
        List<String> messages = new ArrayList<>();
        try (StoreClient log = StoreClient.connectUnix(daemon.process().socketPath(),
                ClientOptions.DEFAULT.withLog(messages::add))) {
            assertFalse(log.verifyStore(false, false), "an unreferred vanished path is not an error");
            assertTrue(messages.contains("path `" + alone + "' disappeared, removing from database...\n"), messages.toString());
            assertFalse(log.isValidPath(alone));
            Files.delete(physical(daemon, dep));
            messages.clear();
            assertTrue(log.verifyStore(false, false), "errors remain");
            assertTrue(messages.contains("path `" + dep + "' disappeared, but it still has valid referrers!\n"),
                    messages.toString());
            messages.clear();
            assertTrue(log.verifyStore(false, true), "no deriver: it cannot be repaired");
            assertTrue(messages.contains("warning: cannot repair path `" + dep + "'\n"), messages.toString());
            assertTrue(log.isValidPath(referrer) && log.isValidPath(dep));
            Files.delete(physical(daemon, referrer));
            messages.clear();
            assertFalse(log.verifyStore(false, false), "both go once the referrer has vanished too");
            assertFalse(log.isValidPath(dep));
            assertFalse(log.isValidPath(referrer));
        }
    }

    @Test
    void verifyWithRepairRebuildsACorruptedOutputFromItsDeriver() throws Exception {
        Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "chroot builds need root here");
        Derivations d = new Derivations(daemon.process(), daemon.client());
        d.addBusybox(tmp);
        Derivation drv = d.make("repair-me", "echo repaired contents > $out");
        String drvPath = d.add(drv);
        assertTrue(daemon.client().buildPaths(List.of(drvPath), BuildMode.NORMAL));
        String out = drv.outputs().get("out").path();
        Path file = physical(daemon, out);
        Files.setAttribute(file, "unix:mode", 0644);
        Files.writeString(file, "corrupted contents\n");
        Files.setAttribute(file, "unix:mode", 0444);
        List<String> messages = new ArrayList<>();
        try (StoreClient log = StoreClient.connectUnix(daemon.process().socketPath(),
                ClientOptions.DEFAULT.withLog(messages::add))) {
            assertTrue(log.verifyStore(true, false), "found");
            assertTrue(messages.stream().anyMatch(m -> m.startsWith("path `" + out + "' was modified! expected hash `")),
                    messages.toString());
            assertFalse(log.verifyStore(true, true), "repaired: no errors remain\n" + messages);
        }
        assertEquals("repaired contents\n", Files.readString(file));
        assertFalse(daemon.client().verifyStore(true, false));
    }

    /** Found by the stress campaign: verify took a path registered while it listed the store for a vanished one. */
    @Test
    void verifyRacingAddsInvalidatesNothing() throws Exception {
        List<String> added = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> adders = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            adders.add(Thread.ofVirtual().start(() -> {
                try (StoreClient c = daemon.client()) {
                    for (int i = 0; !stop.get(); i++) {
                        added.add(c.addTextToStore("race-" + id + "-" + i, "racing verify " + id + " " + i + "\n", List.of()));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        try (StoreClient v = daemon.client()) {
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(4);
            while (System.nanoTime() < end) {
                assertFalse(v.verifyStore(false, false), "no errors");
            }
        } finally {
            stop.set(true);
            for (Thread a : adders) a.join();
        }
        try (StoreClient c = daemon.client()) {
            List<String> lost = new ArrayList<>();
            for (String p : List.copyOf(added)) {
                if (!c.isValidPath(p)) lost.add(p);
            }
            assertEquals(List.of(), lost, "of " + added.size() + " adds");
        }
    }
}
