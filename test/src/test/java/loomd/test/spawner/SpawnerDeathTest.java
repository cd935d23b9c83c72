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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.posix.Processes;
import loomd.process.ExitStatus;
import loomd.spawner.SpawnError;
import loomd.spawner.SpawnException;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.SpawnerClient;
import loomd.testkit.Poll;
import loomd.testkit.Stopwatch;

/** kill -9 of either side of the link. */
class SpawnerDeathTest {
    /** Each test its own spawner: they kill it. */
    @RegisterExtension
    final SpawnerFixture spawner = new SpawnerFixture();

    @Test
    void killingTheDaemonKillsEverySandboxedChild(@TempDir Path work) throws Exception {
        assumeTrue(Sandboxes.isRoot(), "needs root");
        Process driver = new ProcessBuilder(SpawnerDriver.command(List.of(), "hold", work))
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
            Poll.until(Duration.ofSeconds(5), () -> victims.stream().noneMatch(Sandboxes::alive));
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

    private static long awaitOneDescendant(long pid) {
        return Poll.until(Duration.ofSeconds(5), () -> ProcessHandle.of(pid).orElseThrow().descendants().findFirst(),
                Optional::isPresent).orElseThrow(() -> new AssertionError("pid " + pid + " never forked")).pid();
    }

    /** One sandboxed {@code sleep 1000} running under the test's spawner. */
    private SpawnedProcess sleeper() throws Exception {
        return spawner.client().spawn(Sandboxes.sandbox(spawner.root(), "/bin/sleep", "1000").build())
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    void killingTheSpawnerIsDetectedAtOnceAndTheClientCanRelaunch() throws Exception {
        SpawnerClient client = spawner.client();
        Path root = spawner.root();
        SpawnedProcess sleeper = sleeper();
        Stopwatch killed = Stopwatch.start();
        Processes.kill((int) client.spawnerPid(), Processes.SIGKILL);

        var e = assertThrows(ExecutionException.class,
                () -> sleeper.onExit().get(Stopwatch.PATIENCE.toSeconds(), TimeUnit.SECONDS));
        killed.assertPrompt("kill -9 of the spawner seen by a child's exit future");
        SpawnError error = assertInstanceOf(SpawnException.class, e.getCause()).error();
        assertInstanceOf(SpawnError.SpawnerGone.class, error);
        assertTrue(error.message().contains("killed by signal 9") || error.message().contains("closed the link"), error.message());
        assertFalse(client.isAlive());
        assertTrue(client.terminated().isDone());

        var later = assertThrows(ExecutionException.class,
                () -> client.spawn(Sandboxes.sandbox(root, "/bin/true").build()).get(10, TimeUnit.SECONDS));
        assertInstanceOf(SpawnError.SpawnerGone.class, ((SpawnException) later.getCause()).error());

        Poll.until(Duration.ofSeconds(5), () -> !alive(sleeper.pid()));
        assertFalse(alive(sleeper.pid()), "the sandboxed child outlived its spawner");

        try (SpawnerClient again = SpawnerFixture.launch(spawner.dir())) {
            var result = Sandboxes.run(again, Sandboxes.sandbox(root, "/bin/echo", "back").build());
            assertEquals(new ExitStatus.Exited(0), result.status());
            assertEquals("back\n", result.output());
        }
    }

    @Test
    void closingTheClientKillsItsChildren() throws Exception {
        SpawnerClient client = spawner.client();
        SpawnedProcess sleeper = sleeper();
        long spawnerPid = client.spawnerPid();
        client.close();
        assertFalse(alive(spawnerPid));
        assertFalse(alive(sleeper.pid()));
        var e = assertThrows(ExecutionException.class, () -> sleeper.onExit().get(10, TimeUnit.SECONDS));
        assertInstanceOf(SpawnException.class, e.getCause());
    }
}
