package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildEvents;
import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.test.support.DaemonFixture;

/** Builds through the real daemon, busybox in the full sandbox (root only, as the spawner tests). */
class DaemonBuildTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> b.env("GUIX_LOG_DIRECTORY", b.root().resolve("log").toString()));

    @TempDir
    Path tmp;
    StoreClient client;
    Derivations drvs;
    final List<BuildEvents.Event> events = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void setUp() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
                "chroot builds need root here");
        client = connect(events);
        drvs = new Derivations(daemon.process(), client);
        assertEquals(Derivations.BUSYBOX, drvs.addBusybox(tmp));
    }

    StoreClient connect(List<BuildEvents.Event> sink) throws Exception {
        StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(new BuildEvents(sink::add)));
        c.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withMultiplexedBuildOutput(true)
                .withUseSubstitutes(false));
        return c;
    }

    List<String> traces(String name) {
        synchronized (events) {
            return events.stream().filter(e -> e instanceof BuildEvents.Trace t && t.name().equals(name))
                    .map(e -> String.join(" ", ((BuildEvents.Trace) e).fields())).toList();
        }
    }

    String builderOutput() {
        StringBuilder sb = new StringBuilder();
        synchronized (events) {
            events.forEach(e -> {
                if (e instanceof BuildEvents.Log l && l.pid().isPresent()) sb.append(l.text());
            });
        }
        return sb.toString();
    }

    String out(Derivation d, String name) {
        return d.outputs().get(name).path();
    }

    @Test
    void aSimpleBuildRegistersItsOutputAndTracesAsUpstream() throws Exception {
        Derivation d = drvs.make("simple", "echo out-line-1; echo err-line-1 >&2; echo built > $out");
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(client.isValidPath(out(d, "out")));
        assertEquals("built\n", Files.readString(drvs.physical(out(d, "out"))));
        assertEquals(drv, client.queryPathInfo(out(d, "out")).deriver());
        assertEquals("out-line-1\nerr-line-1\n", builderOutput());
        assertEquals(List.of(drv + " -"), traces("build-succeeded"));
        String started = traces("build-started").getFirst();
        String base = drv.substring(Derivations.S.length() + 1);
        assertTrue(started.startsWith(drv + " - x86_64-linux " + daemon.process().root().resolve("log") + "/drvs/"
                + base.substring(0, 2) + "//" + base.substring(2) + ".gz "), started);
        assertTrue(Files.exists(daemon.process().root().resolve("log/drvs/" + base.substring(0, 2) + "/" + base.substring(2) + ".gz")));
        // built once: asking again is a no-op without traces
        events.clear();
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(List.of(), traces("build-started"));
    }

    @Test
    void aDagWithASharedInputBuildsEachOnceInputsFirst() throws Exception {
        Derivation base = drvs.make("base", "echo base > $out");
        String baseDrv = drvs.add(base);
        Derivation left = drvs.make("left", "read x < " + out(base, "out") + "; echo left-$x > $out",
                List.of("out"), Map.of(baseDrv, List.of("out")), Map.of(), null);
        Derivation right = drvs.make("right", "echo right > $out; echo " + out(base, "out") + " >> $out",
                List.of("out"), Map.of(baseDrv, List.of("out")), Map.of(), null);
        String leftDrv = drvs.add(left);
        String rightDrv = drvs.add(right);
        Derivation top = drvs.make("top", "echo top > $out", List.of("out"),
                Map.of(leftDrv, List.of("out"), rightDrv, List.of("out")), Map.of(), null);
        String topDrv = drvs.add(top);
        client.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withMultiplexedBuildOutput(true)
                .withUseSubstitutes(false).withMaxBuildJobs(2));
        assertTrue(client.buildPaths(List.of(topDrv), BuildMode.NORMAL));
        assertEquals("left-base\n", Files.readString(drvs.physical(out(left, "out"))));
        assertEquals(List.of(out(base, "out")), client.queryReferences(out(right, "out")));
        assertEquals(List.of(), client.queryReferences(out(left, "out")));
        assertEquals(4, traces("build-started").size());
        assertEquals(baseDrv + " -", traces("build-succeeded").getFirst());
        assertEquals(topDrv + " -", traces("build-succeeded").getLast());
    }

    @Test
    void twoSessionsBuildingOneDerivationBuildItOnce() throws Exception {
        Derivation d = drvs.make("shared", "sleep 1; echo x >> " + "/tmp/count; echo once > $out");
        String drv = drvs.add(d);
        List<BuildEvents.Event> other = Collections.synchronizedList(new ArrayList<>());
        try (StoreClient second = connect(other)) {
            CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> build(client, drv));
            CompletableFuture<Boolean> then = CompletableFuture.supplyAsync(() -> build(second, drv));
            assertTrue(first.get(60, TimeUnit.SECONDS));
            assertTrue(then.get(60, TimeUnit.SECONDS));
        }
        long starts = events.stream().filter(e -> e instanceof BuildEvents.Trace t && t.name().equals("build-started")).count()
                + other.stream().filter(e -> e instanceof BuildEvents.Trace t && t.name().equals("build-started")).count();
        assertEquals(1, starts);
        assertTrue(client.isValidPath(out(d, "out")));
    }

    private static boolean build(StoreClient c, String drv) {
        try {
            return c.buildPaths(List.of(drv), BuildMode.NORMAL);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void bangOutputBuildsEveryOutput() throws Exception {
        Derivation d = drvs.make("two", "echo both; echo o > $out; echo l > $lib", List.of("out", "lib"), Map.of(), Map.of(), null);
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv + "!lib"), BuildMode.NORMAL));
        assertTrue(client.isValidPath(out(d, "lib")));
        assertTrue(client.isValidPath(out(d, "out")));
    }

    @Test
    void aFailingBuilderGivesUpstreamsMessagesAndStatus100() throws Exception {
        Derivation d = drvs.make("failing", "echo about to fail; exit 1");
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("build of `" + drv + "' failed", e.getMessage());
        assertEquals(100, e.status());
        String message = "builder for `" + drv + "' failed with exit code 1";
        assertEquals(List.of(drv + " - 1 " + message), traces("build-failed"));
        assertFalse(client.isValidPath(out(d, "out")));
    }

    @Test
    void aMissingOutputIsRejected() throws Exception {
        Derivation d = drvs.make("lazy", "echo nothing");
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(1, e.status());
        assertEquals(List.of(drv + " - 1 builder for `" + drv + "' failed to produce output path `" + out(d, "out") + "'"),
                traces("build-failed"));
    }

    @Test
    void aFixedOutputHashMismatchTracesAndEndsWithStatus1() throws Exception {
        Hash other = Hash.of(HashAlgorithm.SHA256, "some other contents\n".getBytes());
        Derivation d = drvs.make("fixed-output", "echo fetching; printf 'fixed output contents\\n' > $out",
                List.of("out"), Map.of(), Map.of(), new DerivationOutput("", "sha256", other.toBase16()));
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(1, e.status());
        assertEquals(List.of(out(d, "out") + " sha256 0ylh4rq3sqxlkwjr1n53ribdql0ccvplxv6va52ax98kzbkwp20r "
                + "0ixp3zw95hp0q6z9wvdh0xxinn1zbhf2hnq8f66haw9ccg2h3766"), traces("hash-mismatch"));
        assertFalse(client.isValidPath(out(d, "out")));
    }

    @Test
    void silenceTimeoutIsStatus101() throws Exception {
        client.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withMultiplexedBuildOutput(true)
                .withUseSubstitutes(false).withMaxSilentTime(1));
        Derivation d = drvs.make("silent", "echo going quiet; sleep 5; echo late > $out");
        String drv = drvs.add(d);
        long t0 = System.nanoTime();
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(101, e.status());
        assertTrue(System.nanoTime() - t0 < 4_500_000_000L, "killed before the builder finished");
        assertEquals(List.of(drv + " - timeout"), traces("build-failed"));
    }
}
