package loomd.test.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;

import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short campaign of every CI run (issue 15): 16 clients for 60 s with each fault once (the disk
 * one where the test may mount a file system), then 20,000 fuzzed frames against a fresh daemon. Any
 * violation fails the build; the full campaign is {@link CampaignBench}.
 */
class CampaignCiTest {
    @TempDir Path dir;

    @Test
    void shortCampaignLosesNothingAndLeavesNothing() throws Exception {
        try (SizedFileSystem fs = SizedFileSystem.mountIfRoot(dir.resolve("fs"), 768)) {
            Campaign.Config config = new Campaign.Config(Duration.ofSeconds(60), 16, 15, 30, 1,
                    Duration.ofSeconds(2), List.of("--max-jobs=4"), EnumSet.allOf(Faults.Kind.class));
            Campaign.Result r = new Campaign(config, fs.dir().resolve("store"), fs.fillable() ? fs.dir().resolve("filler") : null).run();
            System.out.println(r.table());
            System.out.printf("faults %d (daemon kills %d), acknowledged %d, slowest answer after a fault %d ms,"
                    + " %.0f ops/s, %.0f builds/min%n", r.faultsInjected(), r.daemonKills(), r.acknowledged(),
                    r.slowestAnswerAfterFaultMillis(), r.opsPerSecond(), r.buildsPerMinute());
            assertEquals(List.of(), r.violations());
            assertTrue(r.acknowledged() > 50, "the load got going: " + r.acknowledged());
            assertEquals(0, r.unanswered(), "requests unanswered for more than 10 s");
            assertEquals(0, r.databaseLocked(), "'database is locked' reached a client");
        }
    }

    @Test
    void twentyThousandFuzzedFramesLeaveTheDaemonServing() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("fuzz")).start()) {
            DaemonVitals before = DaemonVitals.of(daemon);
            ProtocolFuzzer.Stats stats = new ProtocolFuzzer(daemon, 15).run(20_000);
            DaemonVitals after = DaemonVitals.of(daemon);
            System.out.printf("fuzz: %d frames in %d sessions; heap %d -> %d KiB, threads %d -> %d%n", stats.frames(),
                    stats.sessions(), before.heapUsedKiB(), after.heapUsedKiB(), before.threads(), after.threads());
            assertTrue(daemon.isAlive(), daemon.log());
            try (StoreClient c = daemon.client()) {
                String p = c.addTextToStore("after-fuzz", "still serving", List.of());
                assertTrue(c.isValidPath(p));
            }
            assertTrue(after.heapUsedKiB() <= 2 * Math.max(before.heapUsedKiB(), 16 * 1024), before + " -> " + after);
            assertTrue(after.threads() <= before.threads() + 8, "threads leaked: " + before + " -> " + after);
        }
    }
}
