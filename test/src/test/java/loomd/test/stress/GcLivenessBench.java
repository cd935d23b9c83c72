package loomd.test.stress;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One hour-equivalent of collections racing builds, on demand:
 * {@code ./mvnw -B -q verify -Pbench -pl test -am -Dtest=GcLivenessBench -Dsurefire.failIfNoSpecifiedTests=false}
 * with {@code -Dloomd.liveness.builds=1000 -Dloomd.liveness.collections=60 -Dloomd.liveness.clients=16}.
 *
 * <p>The hour: a busy build machine runs about 1,000 builds an hour and a collection at most hourly
 * ({@code guix gc -F} on a timer); the defaults are those 1,000 builds that really run a builder, and
 * 60 delete-dead collections (one per minute of that hour, 60 times the usual), with the adds and
 * root removals that go with them, compressed into a few minutes so the interleavings are far denser
 * than in a real hour. Prints the figures and every violation; a violation is printed, not thrown.
 */
@Tag("bench")
class GcLivenessBench {
    @TempDir Path dir;

    static long prop(String name, long fallback) {
        return Long.getLong("loomd.liveness." + name, fallback);
    }

    @Test
    void oneHourEquivalent() throws Exception {
        GcLivenessRun.Config config = new GcLivenessRun.Config((int) prop("clients", 16), (int) prop("collectors", 2),
                prop("seed", 1), (int) prop("builds", 1000), (int) prop("collections", 60),
                Duration.ofSeconds(prop("limitSeconds", 1800)), (int) prop("dag", 60));
        GcLivenessRun.Result r = new GcLivenessRun(config, dir).run();
        System.out.print(r.table());
        System.out.printf("| live paths deleted by GC during %d builds and %d collections | %d |%n",
                r.builtRunning() + r.builtValid(), r.collections(),
                r.violations().stream().filter(v -> v.startsWith("live path deleted")).count());
        System.out.println("violations (" + r.violations().size() + "):");
        r.violations().stream().limit(50).forEach(v -> System.out.println("  " + v));
    }
}
