package loomd.test.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.testkit.Poll;

/**
 * Offloading to a cluster of loomd workers in network namespaces of their own, over {@code --listen}
 * TCP (issue 13): the head builds nothing itself ({@code max-jobs 0}); its build hook is
 * {@link StandInOffload}, which speaks the worker protocol to the workers and writes the outputs back
 * into the head's store and database as {@code guix offload} does.
 */
class OffloadClusterTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void needsNamespaces() {
        String why = NetnsCluster.unavailable();
        Assumptions.assumeTrue(why == null, why);
    }

    @Test
    void aHundredDerivationDagThroughTheHeadIsBuiltOnTheWorkers() throws Exception {
        try (NetnsCluster cluster = NetnsCluster.start(tmp.resolve("cluster"), 2, 2);
             HeadSession head = HeadSession.open(cluster, tmp)) {
            head.options(o -> o.withMaxBuildJobs(0));
            ClusterDag dag = ClusterDag.make(head.drvs, "dag", 100, 10);
            assertTrue(head.build(dag.drvPaths()));
            Map<String, String> builtOn = head.builtOn();
            assertEquals(Set.copyOf(dag.drvPaths()), builtOn.keySet(), "every derivation was offloaded");
            assertEquals(100, head.traces("build-remote").size(), "each once");
            assertEquals(cluster.workers().stream().map(NetnsCluster.Worker::machine).collect(Collectors.toSet()),
                    Set.copyOf(builtOn.values()), "both workers built some");
            assertEquals(List.of(), head.traces("hook-failed"));
            for (ClusterDag.Node n : dag.nodes()) {
                assertTrue(head.client.isValidPath(n.out()), n.out());
                assertEquals(n.expected(), Files.readString(head.drvs.physical(n.out())), n.out());
                try (StoreClient worker = cluster.worker(builtOn.get(n.drvPath())).client()) {
                    assertEquals(worker.queryPathInfo(n.out()).narHash(), head.client.queryPathInfo(n.out()).narHash(),
                            n.out());
                }
            }
            assertNothingLeft(cluster, 2);
        }
    }

    @Test
    void aWorkerKilledMidBuildFailsOnlyItsGoalsAndARetryBuildsThemOnTheOther() throws Exception {
        try (NetnsCluster cluster = NetnsCluster.start(tmp.resolve("cluster"), 2, 2);
             HeadSession head = HeadSession.open(cluster, tmp)) {
            head.options(o -> o.withMaxBuildJobs(0).withKeepGoing(true));
            // Each prints a marker, then runs long enough to be killed on the worker.
            ClusterDag slow = ClusterDag.make(head.drvs, "slow", 4, 4, "echo started; sleep 10; ");
            List<String> drvPaths = slow.drvPaths();
            CompletableFuture<Boolean> build = CompletableFuture.supplyAsync(() -> {
                try {
                    return head.client.buildPaths(drvPaths, BuildMode.NORMAL);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            NetnsCluster.Worker victim = cluster.workers().getFirst();
            assertTrue(Poll.until(Duration.ofSeconds(120), () -> head.builtOn().containsValue(victim.machine())
                    && running(victim.daemon().process().toHandle(), "sleep")), () -> "no build started on the victim:\n"
                    + head.transcript());
            victim.daemon().process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            ExecutionException failed = assertThrows(ExecutionException.class, () -> build.get(180, TimeUnit.SECONDS));
            assertTrue(failed.getCause() instanceof DaemonException, failed.toString());

            // Upstream's daemon does not retry a hook build: the hook exits 1, the goal fails with
            // @ hook-failed; the goals on the other worker go on (keep-going).
            Set<String> victims = head.builtOn().entrySet().stream().filter(e -> e.getValue().equals(victim.machine()))
                    .map(Map.Entry::getKey).collect(Collectors.toSet());
            assertEquals(victims.stream().map(d -> d + " - 256 builder for `" + d + "' failed with exit code 1")
                    .collect(Collectors.toSet()), Set.copyOf(head.traces("hook-failed")));
            HeadStore store = HeadStore.of(cluster.head().root());
            for (ClusterDag.Node n : slow.nodes()) {
                boolean lost = victims.contains(n.drvPath());
                assertEquals(!lost, head.client.isValidPath(n.out()), n.out());
                assertEquals(!lost, store.registered(n.out()), n.out());
                assertEquals(!lost, Files.exists(head.drvs.physical(n.out()), LinkOption.NOFOLLOW_LINKS), n.out());
            }
            assertNothingLeft(cluster, 2);

            // The user's retry: the dead worker refuses connections, so the hook picks the other one.
            head.events.clear();
            assertTrue(head.build(List.copyOf(victims)));
            assertEquals(victims, head.builtOn().keySet());
            assertEquals(Set.of(cluster.workers().get(1).machine()), Set.copyOf(head.builtOn().values()));
            for (ClusterDag.Node n : slow.nodes()) {
                assertEquals(n.expected(), Files.readString(head.drvs.physical(n.out())), n.out());
            }
            assertNothingLeft(cluster, 2);
        }
    }

    /** No stand-in process is left, and every slot file can be locked (no hook holds one). */
    private static void assertNothingLeft(NetnsCluster cluster, int slots) throws Exception {
        assertTrue(Poll.until(Duration.ofSeconds(20), () -> !running(cluster.head().process().toHandle(),
                StandInOffload.class.getName())), "a stand-in offload process outlived its build");
        for (NetnsCluster.Worker w : cluster.workers()) {
            for (int k = 0; k < slots; k++) {
                Path f = cluster.slotFile(w, k);
                if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE); FileLock lock = ch.tryLock()) {
                    assertTrue(lock != null, "slot still held: " + f);
                }
            }
        }
    }

    /** Whether a descendant of {@code p} has {@code word} in its command line. */
    private static boolean running(ProcessHandle p, String word) {
        return p.descendants().anyMatch(d -> {
            try {
                return Files.readString(Path.of("/proc/" + d.pid() + "/cmdline")).contains(word);
            } catch (java.io.IOException e) {
                return false; // gone meanwhile
            }
        });
    }
}
