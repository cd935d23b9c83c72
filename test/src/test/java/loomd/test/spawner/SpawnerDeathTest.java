package loomd.test.spawner;

import static loomd.test.spawner.Sandboxes.alive;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.posix.Processes;
import loomd.process.ExitStatus;
import loomd.spawner.SpawnError;
import loomd.spawner.SpawnException;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.SpawnerClient;

/** kill -9 of either side of the link. */
class SpawnerDeathTest {

    @Test
    void killingTheDaemonKillsEverySandboxedChild(@TempDir Path work) throws Exception {
        assumeTrue(Sandboxes.isRoot(), "needs root");
        Process driver = new ProcessBuilder(DriverJvm.command(List.of(), "hold", work))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Long> victims = new ArrayList<>();
        try {
            var reader = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
            String line = reader.readLine();
            assertTrue(line != null && line.startsWith("READY "), "driver said: " + line);
            List<Long> pids = Arrays.stream(line.substring(6).split(" ")).map(Long::parseLong).toList();
            victims.addAll(pids);
            for (long child : pids.subList(1, pids.size())) {
                // sh forks the background sleep, then execs the foreground one.
                victims.add(awaitOneDescendant(child));
            }
            assertEquals(1 + 4 + 4, victims.size(), "spawner, 4 children, 4 grandchildren: " + victims);
            Processes.kill((int) driver.pid(), Processes.SIGKILL);
            driver.onExit().get(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (victims.stream().anyMatch(Sandboxes::alive) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            for (long pid : victims) {
                assertFalse(alive(pid), "pid " + pid + " outlived the daemon");
            }
        } finally {
            driver.destroyForcibly();
            for (long pid : victims) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static long awaitOneDescendant(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            var found = ProcessHandle.of(pid).orElseThrow().descendants().findFirst();
            if (found.isPresent()) {
                return found.get().pid();
            }
            Thread.sleep(5);
        }
        throw new AssertionError("pid " + pid + " never forked");
    }

    /** A fresh spawner (as root) with one sandboxed {@code sleep 1000} running under it. */
    private record Sleeping(SpawnerClient client, Path root, SpawnedProcess sleeper) {
        static Sleeping start(Path temp) throws Exception {
            assumeTrue(Sandboxes.isRoot(), "needs root");
            Path root = Sandboxes.prepareRoot(Files.createDirectories(temp.resolve("root")));
            SpawnerClient client = SpawnerClient.launch(Sandboxes.binary(), temp.resolve("run"));
            return new Sleeping(client, root,
                    client.spawn(Sandboxes.sandbox(root, "/bin/sleep", "1000").build()).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void killingTheSpawnerIsDetectedAtOnceAndTheClientCanRelaunch(@TempDir Path temp) throws Exception {
        Sleeping started = Sleeping.start(temp);
        SpawnerClient client = started.client();
        Path root = started.root();
        SpawnedProcess sleeper = started.sleeper();
        long t0 = System.nanoTime();
        Processes.kill((int) client.spawnerPid(), Processes.SIGKILL);

        var e = assertThrows(ExecutionException.class, () -> sleeper.onExit().get(2, TimeUnit.SECONDS));
        long detectedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        SpawnError error = assertInstanceOf(SpawnException.class, e.getCause()).error();
        assertInstanceOf(SpawnError.SpawnerGone.class, error);
        assertTrue(error.message().contains("killed by signal 9") || error.message().contains("closed the link"), error.message());
        assertTrue(detectedMillis < 1000, "detected after " + detectedMillis + " ms");
        assertFalse(client.isAlive());
        assertTrue(client.terminated().isDone());

        var later = assertThrows(ExecutionException.class,
                () -> client.spawn(Sandboxes.sandbox(root, "/bin/true").build()).get(2, TimeUnit.SECONDS));
        assertInstanceOf(SpawnError.SpawnerGone.class, ((SpawnException) later.getCause()).error());

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (alive(sleeper.pid()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(alive(sleeper.pid()), "the sandboxed child outlived its spawner");

        try (SpawnerClient again = SpawnerClient.launch(Sandboxes.binary(), temp.resolve("run"))) {
            var result = Sandboxes.run(again, Sandboxes.sandbox(root, "/bin/echo", "back").build());
            assertEquals(new ExitStatus.Exited(0), result.status());
            assertEquals("back\n", result.output());
        }
    }

    @Test
    void closingTheClientKillsItsChildren(@TempDir Path temp) throws Exception {
        Sleeping started = Sleeping.start(temp);
        SpawnerClient client = started.client();
        SpawnedProcess sleeper = started.sleeper();
        long spawner = client.spawnerPid();
        client.close();
        assertFalse(alive(spawner));
        assertFalse(alive(sleeper.pid()));
        var e = assertThrows(ExecutionException.class, () -> sleeper.onExit().get(2, TimeUnit.SECONDS));
        assertInstanceOf(SpawnException.class, e.getCause());
    }
}
