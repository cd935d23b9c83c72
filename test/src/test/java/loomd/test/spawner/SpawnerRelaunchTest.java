package loomd.test.spawner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import loomd.posix.Processes;
import loomd.process.ExitStatus;
import loomd.spawner.RelaunchingSpawner;
import loomd.spawner.SpawnError;
import loomd.spawner.SpawnException;
import loomd.spawner.SpawnedProcess;
import loomd.testkit.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's spawner survives its helper: after kill -9 of the helper, what ran fails with
 * "spawner gone" and the next request runs on a new helper, without a daemon restart (the stress
 * campaign found every later build failing until one).
 */
class SpawnerRelaunchTest {
    @TempDir Path dir;

    @Test
    void aKilledHelperIsReplacedAndTheNextRequestRuns() throws Exception {
        assumeTrue(Sandboxes.isRoot(), "needs root");
        Path root = Sandboxes.prepareRoot(Files.createDirectories(dir.resolve("root")));
        List<String> log = new CopyOnWriteArrayList<>();
        try (RelaunchingSpawner spawner = RelaunchingSpawner.launch(Sandboxes.binary(), dir.resolve("run"), log::add)) {
            SpawnedProcess sleeper = spawner.spawn(Sandboxes.sandbox(root, "/bin/sleep", "1000").build())
                    .get(10, TimeUnit.SECONDS);
            long first = spawner.spawnerPid();
            Processes.kill((int) first, Processes.SIGKILL);

            var e = assertThrows(ExecutionException.class, () -> sleeper.onExit().get(10, TimeUnit.SECONDS));
            assertInstanceOf(SpawnError.SpawnerGone.class, assertInstanceOf(SpawnException.class, e.getCause()).error());
            assertTrue(Poll.until(Duration.ofSeconds(10), () -> spawner.current().isAlive() && spawner.spawnerPid() != first));
            assertNotEquals(first, spawner.spawnerPid());

            var result = Sandboxes.run(spawner, Sandboxes.sandbox(root, "/bin/echo", "back").build());
            assertEquals(new ExitStatus.Exited(0), result.status());
            assertEquals("back\n", result.output());
            assertTrue(log.stream().anyMatch(l -> l.contains("starting a new spawner")), log.toString());
            assertTrue(log.contains("spawner started (pid " + spawner.spawnerPid() + ")"), log.toString());
        }
    }
}
