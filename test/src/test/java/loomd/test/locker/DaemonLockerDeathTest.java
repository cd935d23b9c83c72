package loomd.test.locker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import loomd.locker.LockerClient;
import loomd.posix.Processes;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import loomd.testkit.Poll;
import loomd.testkit.Stopwatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static loomd.test.locker.LockProbe.writeLockable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the real daemon's locker child: the daemon survives, restarts its locker, and adds keep working
 * (the first one after the kill may fail, with an error naming the locker); the sessions' temp-roots files are
 * locked again by the new locker, so a collector still sees them as live. Then kill -9 of the daemon: its
 * locker exits at once (the time is printed) and every lock is free.
 */
class DaemonLockerDeathTest {
    static final Duration SOON = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void theDaemonSurvivesItsLockerBeingKilled() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("d")).start();
                StoreClient session = daemon.client()) {
            session.addTextToStore("before", "before the kill", List.of());
            long locker = lockerOf(daemon);
            assertTrue(daemon.log().contains("watching the locker (pid " + locker + ")"), daemon.log());

            Processes.kill((int) locker, Processes.SIGKILL);
            ProcessHandle.of(locker).ifPresent(p -> p.onExit().orTimeout(5, TimeUnit.SECONDS).join());
            try {
                session.addTextToStore("during", "right after the kill", List.of());
                System.out.println("locker killed: the next add worked");
            } catch (DaemonException e) {
                System.out.println("locker killed: the next add failed with: " + e.getMessage());
                assertTrue(e.getMessage().contains("locker"), "unclear error: " + e.getMessage());
            }
            String after = session.addTextToStore("after", "after the restart", List.of());
            assertTrue(Files.exists(daemon.physicalStoreDir().resolve(Path.of(after).getFileName())));
            try (StoreClient other = daemon.client()) {
                other.addTextToStore("other", "a new session", List.of());
                assertEveryTempRootsFileIsLocked(daemon.stateDir().resolve("temproots"));
            }

            assertTrue(daemon.isAlive());
            long restarted = lockerOf(daemon);
            assertNotEquals(locker, restarted);
            Poll.until(SOON, () -> daemon.log().contains("watching the locker (pid " + restarted + ")"));
            assertTrue(daemon.log().contains("watching the locker (pid " + restarted + ")"), daemon.log());
            Poll.until(SOON, () -> daemon.log().contains("(pid " + locker + ") exited unexpectedly"));
            assertEquals(1, daemon.log().split("the locker \\(pid " + locker + "\\) exited unexpectedly", -1).length - 1,
                    "the process monitor reports the locker's death once: " + daemon.log());

            List<Path> tempRootsFiles = filesIn(daemon.stateDir().resolve("temproots"));
            Processes.kill((int) daemon.pid(), Processes.SIGKILL);
            Stopwatch killed = Stopwatch.start();
            Poll.until(Stopwatch.PATIENCE, () -> tempRootsFiles.stream().allMatch(LockProbe::writeLockable));
            assertTrue(tempRootsFiles.stream().allMatch(LockProbe::writeLockable),
                    "temp-roots files still locked " + Stopwatch.PATIENCE.toSeconds() + " s after the daemon died");
            killed.assertPrompt("kill -9 of the daemon: every temp-roots lock free");
        }
    }

    /** Exactly one locker child, the one running now (the killed one has been reaped). */
    private static long lockerOf(DaemonProcess daemon) {
        List<ProcessHandle> lockers = daemon.process().children()
                .filter(LockerClient::isLocker)
                .toList();
        assertEquals(1, lockers.size(), "locker children: " + lockers);
        return lockers.getFirst().pid();
    }

    /** Upstream's collector test for a live temp-roots file: a write lock must be refused. */
    private static void assertEveryTempRootsFileIsLocked(Path tempRoots) throws IOException {
        for (Path file : filesIn(tempRoots)) {
            assertFalse(writeLockable(file), "temp-roots file not held by anyone: " + file);
        }
    }

    private static List<Path> filesIn(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            List<Path> files = list.toList();
            assertFalse(files.isEmpty(), "no temp-roots file in " + dir);
            return files;
        }
    }
}
