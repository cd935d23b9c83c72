package loomd.daemon.build;

import java.util.function.Consumer;

/**
 * Where one build's daemon time goes, for profiling the per-build overhead: with the JVM property
 * {@code loomd.build.timings=true} each build logs one line {@code build timings NAME: PHASE=MICROS ...}
 * (the time since the previous mark); otherwise every call is a no-op. Used on its build's thread only.
 */
final class PhaseClock {
    static final boolean ON = Boolean.getBoolean("loomd.build.timings");

    private final StringBuilder phases = ON ? new StringBuilder() : null;
    private long last = ON ? System.nanoTime() : 0;

    void mark(String phase) {
        if (ON) {
            long now = System.nanoTime();
            phases.append(' ').append(phase).append('=').append((now - last) / 1000);
            last = now;
        }
    }

    void report(Consumer<String> log, String drvPath) {
        if (ON && !phases.isEmpty()) {
            log.accept("build timings " + drvPath.substring(drvPath.lastIndexOf('/') + 1) + ":" + phases);
            phases.setLength(0);
        }
    }
}
