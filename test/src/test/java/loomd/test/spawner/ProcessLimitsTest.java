package loomd.test.spawner;

import static loomd.test.spawner.Sandboxes.sandbox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.process.ExitStatus;
import loomd.process.Limits;
import loomd.process.MonitoredProcess;
import loomd.process.ProcessMonitor;
import loomd.process.TimeLimit;
import loomd.testkit.Stopwatch;

/** Wall-clock and silence limits on real sandboxed children. */
class ProcessLimitsTest {
    @RegisterExtension
    static final SpawnerFixture spawner = new SpawnerFixture();
    static final ProcessMonitor monitor = new ProcessMonitor();

    @AfterAll
    static void stopMonitor() {
        monitor.close();
    }

    private static MonitoredProcess watch(Limits limits, String script) throws Exception {
        return monitor.watch(spawner.client().spawn(sandbox(spawner.root(), "/bin/sh", "-c", script).build()).get(10, TimeUnit.SECONDS), limits);
    }

    @Test
    void wallClockLimitFiresOnASleeper() throws Exception {
        Stopwatch started = Stopwatch.start();
        MonitoredProcess p = watch(Limits.NONE.withWallClock(Duration.ofMillis(500)), "sleep 1000");
        var drained = Sandboxes.readAll(p.output());
        ExitStatus status = p.onExit().get(Stopwatch.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        long millis = started.assertPrompt("a 500 ms wall-clock limit stopped sleep 1000");
        var timedOut = assertInstanceOf(ExitStatus.TimedOut.class, status);
        assertEquals(new TimeLimit.WallClock(Duration.ofMillis(500)), timedOut.limit());
        assertEquals(new ExitStatus.Signaled(9, false), timedOut.status());
        assertTrue(millis >= 500, millis + " ms");
        assertEquals("", drained.get(5, TimeUnit.SECONDS));
        assertTrue(monitor.live().isEmpty());
    }

    @Test
    void wallClockLimitFiresOnAChatterbox() throws Exception {
        // Output keeps the silence limit quiet; only the wall clock can stop it.
        MonitoredProcess p = watch(Limits.NONE.withWallClock(Duration.ofMillis(800)).withSilence(Duration.ofMillis(400)),
                "while true; do echo tick; sleep 0.05; done");
        var drained = Sandboxes.readAll(p.output());
        var timedOut = assertInstanceOf(ExitStatus.TimedOut.class, p.onExit().get(10, TimeUnit.SECONDS));
        assertInstanceOf(TimeLimit.WallClock.class, timedOut.limit());
        assertTrue(drained.get(5, TimeUnit.SECONDS).lines().count() > 5);
    }

    @Test
    void silenceLimitFiresWhenOutputStops() throws Exception {
        long t0 = System.nanoTime();
        MonitoredProcess p = watch(Limits.NONE.withSilence(Duration.ofMillis(600)).withWallClock(Duration.ofSeconds(20)),
                "for i in 1 2 3 4 5; do echo $i; sleep 0.2; done; sleep 1000");
        var drained = Sandboxes.readAll(p.output());
        var timedOut = assertInstanceOf(ExitStatus.TimedOut.class, p.onExit().get(10, TimeUnit.SECONDS));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(new TimeLimit.Silence(Duration.ofMillis(600)), timedOut.limit());
        assertEquals("1\n2\n3\n4\n5\n", drained.get(5, TimeUnit.SECONDS));
        // ~0.8 s of output plus 0.6 s of silence: the chatter did reset the clock.
        assertTrue(millis >= 1300, millis + " ms");
        assertEquals("building of `/gnu/store/x.drv' timed out after 3600 seconds of silence",
                new TimeLimit.Silence(Duration.ofHours(1)).describe("building of `/gnu/store/x.drv'"));
        assertEquals("building of `/gnu/store/x.drv' timed out after 10 seconds",
                new TimeLimit.WallClock(Duration.ofSeconds(10)).describe("building of `/gnu/store/x.drv'"));
    }

    @Test
    void aProcessWithinItsLimitsReportsItsOwnStatus() throws Exception {
        MonitoredProcess p = watch(Limits.NONE.withSilence(Duration.ofSeconds(5)).withWallClock(Duration.ofSeconds(5)),
                "echo done; exit 4");
        var drained = Sandboxes.readAll(p.output());
        assertEquals(new ExitStatus.Exited(4), p.onExit().get(10, TimeUnit.SECONDS));
        assertEquals("done\n", drained.get(5, TimeUnit.SECONDS));
        assertTrue(p.firedLimit().isEmpty());
    }

    @Test
    void jdkChildrenAreWatchedTheSameWay() throws Exception {
        Process sleeper = new ProcessBuilder("/bin/busybox", "sh", "-c", "echo hi; sleep 1000").start();
        MonitoredProcess p = monitor.watch(sleeper, Limits.NONE.withSilence(Duration.ofMillis(300)));
        var drained = Sandboxes.readAll(p.output());
        var timedOut = assertInstanceOf(ExitStatus.TimedOut.class, p.onExit().get(10, TimeUnit.SECONDS));
        assertInstanceOf(TimeLimit.Silence.class, timedOut.limit());
        assertEquals(new ExitStatus.Signaled(9, false), timedOut.status());
        assertEquals("hi\n", drained.get(5, TimeUnit.SECONDS));
    }
}
