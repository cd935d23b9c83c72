package loomd.test.substitute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;
import loomd.testkit.Poll;

/** Sessions meeting over one substitution, and one leaving in the middle of it. */
class SubstituteSharingTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(FakeSubstituter::install);

    FakeSubstituter fake() {
        return FakeSubstituter.of(daemon.process());
    }

    String path(String name) {
        return FakeSubstituter.path(daemon.process().storeDir(), name, 2);
    }

    @Test
    void twoSessionsSubstitutingOnePathDownloadItOnce() throws Exception {
        String p = path("shared");
        fake().serve(p, Map.of("contents", "shared\n", "slow", 1.0));
        long before = fake().startsOf("--substitute");
        CompletableFuture<Boolean> a = CompletableFuture.supplyAsync(() -> ensure(p));
        CompletableFuture<Boolean> b = CompletableFuture.supplyAsync(() -> ensure(p));
        assertTrue(a.get());
        assertTrue(b.get());
        assertEquals(before + 1, fake().startsOf("--substitute"), "one fetching helper, one download");
    }

    /** Options of this test's own, so that its fetch needs a new helper: starts then count downloads. */
    boolean ensure(String p) {
        try (StoreClient c = daemon.client()) {
            c.setOptions(BuildOptions.defaults().withTerminalColumns(java.util.OptionalInt.of(98)));
            return c.ensurePath(p) && c.isValidPath(p);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void aClientLeavingMidDownloadKillsTheHelperAndRegistersNothing() throws Exception {
        String p = path("abandoned");
        fake().serve(p, Map.of("contents", "never\n", "slow", 30));
        long before = fake().startsOf("--substitute");
        StoreClient c = daemon.client();
        c.setOptions(BuildOptions.defaults().withTerminalColumns(java.util.OptionalInt.of(99)));
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                c.ensurePath(p);
            } catch (Exception e) {
                // the connection is closed under it
            }
        });
        assertTrue(Poll.until(Duration.ofSeconds(20), () -> fake().startsOf("--substitute") > before));
        long pid = Long.parseLong(fake().starts().stream().filter(x -> x[0].equals("--substitute")).toList()
                .getLast()[1]);
        assertTrue(ProcessHandle.of(pid).isPresent(), "the helper is fetching");
        c.close();
        t.join();
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)),
                "helper " + pid + " killed when its client left");
        try (StoreClient other = daemon.client()) {
            assertFalse(other.isValidPath(p));
        }
        assertFalse(Files.exists(daemon.process().physicalStoreDir().resolve(Path.of(p).getFileName())));
    }

    @Test
    void aSessionTurningSubstitutesOffAsksNoHelper() throws Exception {
        String p = path("off");
        fake().serveFile(p, "off\n", List.of(), "");
        long before = fake().starts().size();
        try (StoreClient c = daemon.client()) {
            c.setOptions(BuildOptions.defaults().withUseSubstitutes(false));
            assertFalse(c.hasSubstitutes(p));
            assertEquals(List.of(), c.querySubstitutablePathInfos(List.of(p)));
            assertTrue(c.buildPaths(List.of(p), loomd.protocol.client.BuildMode.NORMAL), "no substituter: no failure");
            assertFalse(c.isValidPath(p));
        }
        assertEquals(before, fake().starts().size(), "no helper started");
    }

    @Test
    void aSilentHelperTimesOutAndIsKilled() throws Exception {
        String p = path("silent");
        fake().serve(p, Map.of("contents", "late\n", "slow", 30));
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (StoreClient c = daemon.client(loomd.protocol.client.ClientOptions.DEFAULT.withLog(l -> log.add(l.strip())))) {
            c.setOptions(BuildOptions.defaults().withMaxSilentTime(1).withPrintBuildTrace(true));
            long t0 = System.nanoTime();
            assertThrows(loomd.protocol.client.DaemonException.class, () -> c.ensurePath(p));
            assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "well before the helper's 30 s");
            assertFalse(c.isValidPath(p));
        }
        assertTrue(log.contains("@ substituter-failed " + p + " timeout"), log.toString());
        long pid = Long.parseLong(fake().starts().stream().filter(x -> x[0].equals("--substitute")).toList()
                .getLast()[1]);
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)));
    }
}
