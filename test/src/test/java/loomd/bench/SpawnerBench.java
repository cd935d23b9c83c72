package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.process.ExitStatus;
import loomd.spawner.Namespace;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.SpawnerClient;
import loomd.test.spawner.SpawnerFixture;

/**
 * Latency to start and reap one sandboxed {@code true} through the spawner, next to ProcessBuilder
 * running plain {@code /bin/true}. One caller at a time; the clock runs from the request to the exit
 * status (spawn future, then exit future). Goal: within 1 ms of ProcessBuilder's median.
 */
@Tag("bench")
class SpawnerBench {
    static final int WARMUP = Knobs.count("loomd.bench.warmup", 200);
    static final int RUNS = Knobs.count("loomd.bench.runs", 1000);
    static final int BLOCK = 50;

    interface Run {
        void once() throws Exception;
    }

    @RegisterExtension
    final SpawnerFixture spawner = new SpawnerFixture();

    @Test
    void startAndReapTrue() throws Exception {
        Path root = spawner.root();
        SpawnerClient client = spawner.client();
        SpawnRequest plain = SpawnRequest.builder().argv("/bin/true").build();
        SpawnRequest lean = SpawnRequest.builder().argv("/bin/true").namespaces(Namespace.MOUNT, Namespace.PID)
                .root(root.toString()).bind("/bin/busybox", true).build();
        SpawnRequest fullButNet = SpawnRequest.builder().argv("/bin/true")
                .namespaces(Namespace.MOUNT, Namespace.PID, Namespace.IPC, Namespace.UTS)
                .root(root.toString()).bind("/bin/busybox", true).mountProc(true).minimalDev(true)
                .hostname("localhost").build();
        SpawnRequest full = SpawnRequest.builder().argv("/bin/true")
                .namespaces(Namespace.MOUNT, Namespace.PID, Namespace.IPC, Namespace.UTS, Namespace.NET)
                .root(root.toString()).bind("/bin/busybox", true).mountProc(true).minimalDev(true)
                .hostname("localhost").build();
        // What a root daemon without build users asks for each build (ContainerLayout, guest identity).
        SpawnRequest guest = SpawnRequest.builder().argv("/bin/true")
                .namespaces(Namespace.MOUNT, Namespace.PID, Namespace.IPC, Namespace.UTS, Namespace.NET)
                .root(root.toString()).bind("/bin/busybox", true).mountProc(true).minimalDev(true)
                .hostname("localhost").userNamespace(new loomd.spawner.IdMapping(30001, 0, 30000, 0))
                .identity(30001, 30000).lockMounts(true).build();
        Map<String, Run> cases = new LinkedHashMap<>();
        cases.put("ProcessBuilder /bin/true", () -> {
            Process p = new ProcessBuilder("/bin/true").start();
            assertEquals(0, p.waitFor());
        });
        cases.put("spawner, no namespaces, /bin/true", () -> spawn(client, plain));
        cases.put("spawner, lean: mnt+pid+root+bind", () -> spawn(client, lean));
        cases.put("spawner, full but net", () -> spawn(client, fullButNet));
        cases.put("spawner, full: mnt+pid+ipc+uts+net+root+proc+dev", () -> spawn(client, full));
        cases.put("spawner, full as guest: + user ns, locked mounts", () -> spawn(client, guest));
        measureInterleaved(cases);
    }

    private static void spawn(SpawnerClient client, SpawnRequest request) throws Exception {
        SpawnedProcess p = client.spawn(request).get(10, TimeUnit.SECONDS);
        assertEquals(new ExitStatus.Exited(0), p.onExit().get(10, TimeUnit.SECONDS));
    }

    /**
     * Warms every case up, then runs them in interleaved blocks of {@code BLOCK}, so a load change on a
     * shared machine hits all cases alike instead of skewing whichever ran during it.
     */
    private static void measureInterleaved(Map<String, Run> cases) throws Exception {
        Map<String, long[]> nanos = new LinkedHashMap<>();
        for (var c : cases.entrySet()) {
            for (int i = 0; i < WARMUP; i++) {
                c.getValue().once();
            }
            nanos.put(c.getKey(), new long[RUNS]);
        }
        for (int start = 0; start < RUNS; start += BLOCK) {
            for (var c : cases.entrySet()) {
                long[] times = nanos.get(c.getKey());
                for (int i = start; i < start + BLOCK; i++) {
                    long t0 = System.nanoTime();
                    c.getValue().once();
                    times[i] = System.nanoTime() - t0;
                }
            }
        }
        nanos.forEach((name, times) -> {
            Arrays.sort(times);
            System.out.printf("BENCH %-50s median %.3f ms  p90 %.3f ms  p99 %.3f ms  (n=%d)%n", name,
                    times[RUNS / 2] / 1e6, times[RUNS * 90 / 100] / 1e6, times[RUNS * 99 / 100] / 1e6, RUNS);
        });
    }
}
