package loomd.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ProcessMonitorTest {

    @Test
    void waitStatusesDecode() {
        assertEquals(new ExitStatus.Exited(0), ExitStatus.fromWaitStatus(0));
        assertEquals(new ExitStatus.Exited(3), ExitStatus.fromWaitStatus(3 << 8));
        assertEquals(new ExitStatus.Signaled(9, false), ExitStatus.fromWaitStatus(9));
        assertEquals(new ExitStatus.Signaled(11, true), ExitStatus.fromWaitStatus(11 | 0x80));
        assertTrue(ExitStatus.fromWaitStatus(0).success());
        assertEquals(new ExitStatus.Signaled(9, false), JdkChildProcess.decode(137));
        assertEquals(new ExitStatus.Exited(1), JdkChildProcess.decode(1));
    }

    @Test
    void wallClockKillsAJdkChild() throws Exception {
        try (ProcessMonitor monitor = new ProcessMonitor()) {
            Process p = new ProcessBuilder("sleep", "1000").start();
            MonitoredProcess watched = monitor.watch(p, Limits.NONE.withWallClock(Duration.ofMillis(200)));
            assertEquals(1, monitor.live().size());
            var status = assertInstanceOf(ExitStatus.TimedOut.class, watched.onExit().get(10, TimeUnit.SECONDS));
            assertEquals(new TimeLimit.WallClock(Duration.ofMillis(200)), status.limit());
            assertEquals(status.limit(), watched.firedLimit().orElseThrow());
            assertTrue(monitor.live().isEmpty());
        }
    }

    @Test
    void outputResetsTheSilenceClock() throws Exception {
        try (ProcessMonitor monitor = new ProcessMonitor()) {
            Process p = new ProcessBuilder("sh", "-c", "for i in 1 2 3 4 5 6; do echo $i; sleep 0.1; done").start();
            MonitoredProcess watched = monitor.watch(p, Limits.NONE.withSilence(Duration.ofMillis(400)));
            String out = new String(watched.output().readAllBytes());
            assertEquals("1\n2\n3\n4\n5\n6\n", out);
            assertEquals(new ExitStatus.Exited(0), watched.onExit().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void killAllEndsEveryWatchedProcess() throws Exception {
        try (ProcessMonitor monitor = new ProcessMonitor()) {
            var a = monitor.watch(new ProcessBuilder("sleep", "1000").start(), Limits.NONE);
            var b = monitor.watch(new ProcessBuilder("sleep", "1000").start(), Limits.NONE);
            monitor.killAll();
            assertEquals(new ExitStatus.Signaled(9, false), a.onExit().get(10, TimeUnit.SECONDS));
            assertEquals(new ExitStatus.Signaled(9, false), b.onExit().get(10, TimeUnit.SECONDS));
        }
    }
}
