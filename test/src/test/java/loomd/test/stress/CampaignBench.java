package loomd.test.stress;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import loomd.test.support.DaemonProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The full campaign, on demand:
 * {@code ./mvnw -B -q verify -Pbench -pl test -am -Dtest=CampaignBench -Dsurefire.failIfNoSpecifiedTests=false
 * -Dloomd.campaign.seconds=600 -Dloomd.campaign.clients=64 -Dloomd.campaign.seed=1 -Dloomd.campaign.faults=5
 * -Dloomd.campaign.fuzzFrames=1000000 -Dloomd.campaign.kinds=KILL_DAEMON}. Prints the summary table and the figures; a violation is
 * printed, not thrown, so a long run always ends with its whole report.
 */
@Tag("bench")
class CampaignBench {
    @TempDir Path dir;

    static long prop(String name, long fallback) {
        return Long.getLong("loomd.campaign." + name, fallback);
    }

    /** {@code -Dloomd.campaign.kinds=KILL_DAEMON,DISK_FULL}: only those faults; all by default. */
    static Set<Faults.Kind> kinds() {
        String kinds = System.getProperty("loomd.campaign.kinds", "");
        if (kinds.isBlank()) return EnumSet.allOf(Faults.Kind.class);
        return Arrays.stream(kinds.split(",")).map(String::trim).map(Faults.Kind::valueOf)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Faults.Kind.class)));
    }

    @Test
    void campaign() throws Exception {
        long seed = prop("seed", 1);
        try (SizedFileSystem fs = SizedFileSystem.mountIfRoot(dir.resolve("fs"), (int) prop("diskMiB", 2048))) {
            Campaign.Config config = new Campaign.Config(Duration.ofSeconds(prop("seconds", 600)),
                    (int) prop("clients", 64), seed, (int) prop("dag", 100), (int) prop("faults", 5),
                    Duration.ofSeconds(3), List.of("--max-jobs=" + prop("maxJobs", 8)), kinds());
            Campaign.Result r = new Campaign(config, fs.dir().resolve("store"),
                    fs.fillable() ? fs.dir().resolve("filler") : null).run();
            System.out.println(r.table());
            System.out.printf("| faults injected | %d (daemon kill -9: %d) |%n", r.faultsInjected(), r.daemonKills());
            System.out.printf("| acknowledged paths, lost | %d, %d |%n", r.acknowledged(),
                    r.violations().stream().filter(v -> v.contains("acknowledged")).count());
            System.out.printf("| registered without contents | %d |%n",
                    r.violations().stream().filter(v -> v.contains("without contents")).count());
            System.out.printf("| requests unanswered > 10 s | %d |%n| 'database is locked' to a client | %d |%n",
                    r.unanswered(), r.databaseLocked());
            System.out.printf("| slowest answer after a fault | %d ms |%n", r.slowestAnswerAfterFaultMillis());
            System.out.printf("| sustained at %d clients | %.0f operations/s, %.0f query requests/s, %.0f builds/min |%n",
                    config.clients(), r.opsPerSecond(), r.queriesPerSecond(), r.buildsPerMinute());
            System.out.println("violations (" + r.violations().size() + "):");
            r.violations().stream().limit(50).forEach(v -> System.out.println("  " + v));
        }
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("fuzz")).start()) {
            DaemonVitals before = DaemonVitals.of(daemon);
            long t0 = System.nanoTime();
            ProtocolFuzzer.Stats stats = new ProtocolFuzzer(daemon, seed).run(prop("fuzzFrames", 1_000_000));
            DaemonVitals after = DaemonVitals.of(daemon);
            System.out.printf("| fuzzed frames / sessions / seconds | %d / %d / %.0f |%n", stats.frames(),
                    stats.sessions(), (System.nanoTime() - t0) / 1e9);
            System.out.printf("| daemon alive; heap KiB before -> after; threads | %s; %d -> %d; %d -> %d |%n",
                    daemon.isAlive(), before.heapUsedKiB(), after.heapUsedKiB(), before.threads(), after.threads());
        }
    }
}
