package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.process.ExitStatus;
import loomd.spawner.Namespace;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.SpawnerClient;

/**
 * Latency to start and reap one sandboxed {@code true} through the spawner, next to ProcessBuilder
 * running plain {@code /bin/true}. One caller at a time; the clock runs from the request to the exit
 * status (spawn future, then exit future). Goal: within 1 ms of ProcessBuilder's median.
 */
@Tag("bench")
class SpawnerBench {
    static final int WARMUP = 200;
    static final int RUNS = 1000;

    interface Run {
        void once() throws Exception;
    }

    @Test
    void startAndReapTrue(@TempDir Path temp) throws Exception {
        Path root = Files.createDirectories(temp.resolve("root"));
        Files.createDirectories(root.resolve("bin"));
        Files.createSymbolicLink(root.resolve("bin/true"), Path.of("busybox"));
        String spawnerBinary = System.getProperty("loomd.spawnerBinary");
        try (SpawnerClient client = SpawnerClient.launch(Path.of(spawnerBinary), temp.resolve("run"))) {
            SpawnRequest lean = SpawnRequest.builder().argv("/bin/true").namespaces(Namespace.MOUNT, Namespace.PID)
                    .root(root.toString()).bind("/bin/busybox", true).build();
            SpawnRequest full = SpawnRequest.builder().argv("/bin/true")
                    .namespaces(Namespace.MOUNT, Namespace.PID, Namespace.IPC, Namespace.UTS, Namespace.NET)
                    .root(root.toString()).bind("/bin/busybox", true).mountProc(true).minimalDev(true)
                    .hostname("localhost").build();
            SpawnRequest plain = SpawnRequest.builder().argv("/bin/true").build();
            measure("ProcessBuilder /bin/true", () -> {
                Process p = new ProcessBuilder("/bin/true").start();
                assertEquals(0, p.waitFor());
            });
            measure("spawner, no namespaces, /bin/true", () -> spawn(client, plain));
            measure("spawner, mnt+pid+root+bind", () -> spawn(client, lean));
            measure("spawner, mnt+pid+ipc+uts+net+root+proc+dev", () -> spawn(client, full));
            measure("ProcessBuilder /bin/true (again)", () -> {
                Process p = new ProcessBuilder("/bin/true").start();
                assertEquals(0, p.waitFor());
            });
        }
    }

    private static void spawn(SpawnerClient client, SpawnRequest request) throws Exception {
        SpawnedProcess p = client.spawn(request).get(10, TimeUnit.SECONDS);
        assertEquals(new ExitStatus.Exited(0), p.onExit().get(10, TimeUnit.SECONDS));
    }

    private static void measure(String name, Run run) throws Exception {
        for (int i = 0; i < WARMUP; i++) {
            run.once();
        }
        long[] nanos = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long t0 = System.nanoTime();
            run.once();
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        System.out.printf("BENCH %-45s median %.3f ms  p90 %.3f ms  p99 %.3f ms  (n=%d)%n", name,
                nanos[RUNS / 2] / 1e6, nanos[RUNS * 90 / 100] / 1e6, nanos[RUNS * 99 / 100] / 1e6, RUNS);
    }
}
