package loomd.test.spawner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.process.ExitStatus;
import loomd.spawner.Namespace;
import loomd.spawner.Output;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnerClient;

/** 1,000 sandboxed runs from 16 virtual threads: every one succeeds, nothing leaks. */
class SpawnerStressTest {
    static final int RUNS = 1000;
    static final int THREADS = 16;

    @RegisterExtension
    final SpawnerFixture spawner = new SpawnerFixture();

    @Test
    void thousandSandboxedTrues() throws Exception {
        Path root = spawner.root();
        // Sandboxed but lean: mount + PID namespaces and a pivot into the root.
        SpawnRequest discard = SpawnRequest.builder().argv("/bin/true").namespaces(Namespace.MOUNT, Namespace.PID)
                .root(root.toString()).bind(Sandboxes.BUSYBOX, true).build();
        // Every third run also gets a network namespace: spares are consumed and remade under load.
        SpawnRequest capture = SpawnRequest.builder().argv("/bin/echo", "x").namespaces(Namespace.MOUNT, Namespace.PID)
                .root(root.toString()).bind(Sandboxes.BUSYBOX, true).output(Output.CAPTURE).build();
        SpawnRequest networked = SpawnRequest.builder().argv("/bin/true")
                .namespaces(Namespace.MOUNT, Namespace.PID, Namespace.NET)
                .root(root.toString()).bind(Sandboxes.BUSYBOX, true).build();
        SpawnerClient client = spawner.client();
        // Warm up the same way, so lazily created JDK fds (virtual-thread pollers) exist before counting.
        assertTrue(runConcurrently(client, 64, discard, capture, networked).isEmpty());
        Map<String, String> jvmFdsBefore = fdTargets("self");
        assertTrue(mountNamespacesReleased(client), "held mount namespaces not released when idle");
        Map<String, String> spawnerFdsBefore = spawnerFdsButNetworkNamespaces(client);
        // stdin, stdout, stderr, the link and the signalfd (besides its own and the spare network
        // namespaces, made while idle): nothing of the JVM's leaked into the spawner.
        assertEquals(5, spawnerFdsBefore.size(), spawnerFdsBefore.toString());
        long t0 = System.nanoTime();
        var problems = runConcurrently(client, RUNS, discard, capture, networked);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.println("stress: " + RUNS + " sandboxed runs from " + THREADS + " virtual threads in " + millis + " ms");
        assertTrue(problems.isEmpty(), problems.toString());
        assertEquals(jvmFdsBefore, fdTargets("self"), "JVM fds leaked");
        assertTrue(mountNamespacesReleased(client), "held mount namespaces not released when idle");
        assertEquals(spawnerFdsBefore, spawnerFdsButNetworkNamespaces(client), "spawner fds leaked");
        assertTrue(networkNamespaceFds(client) <= 2, "spare network namespaces pile up");
        assertTrue(Sandboxes.childrenOf(client.spawnerPid()).isEmpty(), "the spawner has children (zombies?) left");
    }

    private static List<String> runConcurrently(SpawnerClient client, int runs, SpawnRequest discard, SpawnRequest capture,
            SpawnRequest networked) {
        AtomicInteger next = new AtomicInteger();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < THREADS; t++) {
                pool.execute(() -> {
                    for (int i; (i = next.getAndIncrement()) < runs; ) {
                        try {
                            var request = i % 3 == 0 ? networked : i % 3 == 1 ? discard : capture;
                            var result = Sandboxes.run(client, request);
                            String expected = request == capture ? "x\n" : "";
                            if (!result.status().equals(new ExitStatus.Exited(0)) || !result.output().equals(expected)) {
                                problems.add("run " + i + ": " + result);
                            }
                        } catch (Exception e) {
                            problems.add("run " + i + ": " + e);
                        }
                    }
                });
            }
        }
        return List.copyOf(problems);
    }

    /** The spare network namespace comes and goes with the spawner's idle time; its home one stays. */
    private static Map<String, String> spawnerFdsButNetworkNamespaces(SpawnerClient client) throws IOException {
        Map<String, String> fds = fdTargets(Long.toString(client.spawnerPid()));
        fds.values().removeIf(target -> target.startsWith("net:["));
        return fds;
    }

    /** Children's mount namespaces are held until the spawner is idle after their exit, then let go. */
    private static boolean mountNamespacesReleased(SpawnerClient client) throws IOException {
        return loomd.testkit.Poll.until(java.time.Duration.ofSeconds(5),
                () -> fdTargets(Long.toString(client.spawnerPid())).values().stream().noneMatch(t -> t.startsWith("mnt:[")));
    }

    private static long networkNamespaceFds(SpawnerClient client) throws IOException {
        return fdTargets(Long.toString(client.spawnerPid())).values().stream().filter(t -> t.startsWith("net:[")).count();
    }

    /** fd number -> what it points to, minus the directory stream used to list them. */
    private static Map<String, String> fdTargets(String pid) throws IOException {
        Map<String, String> fds = new TreeMap<>();
        try (var entries = Files.list(Path.of("/proc", pid, "fd"))) {
            for (Path fd : entries.toList()) {
                try {
                    fds.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
                } catch (IOException gone) {
                    // the listing's own fd, closed by now
                }
            }
        }
        fds.values().removeIf(target -> target.equals("/proc/" + ProcessHandle.current().pid() + "/fd"));
        return fds;
    }
}
