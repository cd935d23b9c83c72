package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Beyond upstream (issue 10): a builder that fails while the machine is loaded is run once more with
 * {@code cores=1}, because parallel test suites and makefiles that race or run out of memory under
 * load are a common cause of failures that vanish on a second try. "Loaded" means the one-minute
 * load average above the number of cores, or memory pressure: Linux PSI's {@code some avg10} (the
 * share of the last ten seconds in which a task waited for memory) at or above {@link #PRESSURE_LIMIT}.
 *
 * <p>The signal is read from {@code /proc/loadavg} and {@code /proc/pressure/memory}, or, with the
 * daemon's {@code --load-signal=FILE}, from FILE alone: its first line in {@code /proc/loadavg}'s
 * format, any further lines in {@code /proc/pressure/memory}'s. Tests and operators use it to decide
 * the machine's state. Immutable and thread-safe; reads happen only when a build has failed.
 */
public final class LoadRetry {
    static final double PRESSURE_LIMIT = 20.0;
    private static final Path LOADAVG = Path.of("/proc/loadavg");
    private static final Path MEMORY_PRESSURE = Path.of("/proc/pressure/memory");

    private final boolean enabled;
    private final Optional<Path> signal;
    private final int cores;

    private LoadRetry(boolean enabled, Optional<Path> signal, int cores) {
        this.enabled = enabled;
        this.signal = signal;
        this.cores = cores;
    }

    /** {@code --retry-under-load} and {@code --load-signal} (empty: the kernel's files). */
    public static LoadRetry of(boolean enabled, String signalFile) {
        return new LoadRetry(enabled, signalFile == null || signalFile.isEmpty() ? Optional.empty()
                : Optional.of(Path.of(signalFile)), Runtime.getRuntime().availableProcessors());
    }

    public static LoadRetry off() {
        return new LoadRetry(false, Optional.empty(), 1);
    }

    /**
     * Why a build that ran with {@code buildCores} (0: all of them) and failed deserves another try,
     * or empty: retries are off, the build already had one core, or the machine is not loaded.
     */
    Optional<String> reason(int buildCores) {
        if (!enabled || buildCores == 1) {
            return Optional.empty();
        }
        List<String> lines = signal.map(LoadRetry::lines).orElseGet(() -> lines(LOADAVG));
        double load = loadAverage(lines);
        if (load > cores) {
            return Optional.of(String.format(Locale.ROOT, "load average %.2f above %d cores", load, cores));
        }
        List<String> psi = signal.isPresent() ? lines.stream().skip(1).toList() : lines(MEMORY_PRESSURE);
        double pressure = memoryPressure(psi);
        if (pressure >= PRESSURE_LIMIT) {
            return Optional.of(String.format(Locale.ROOT, "memory pressure %.2f%%", pressure));
        }
        return Optional.empty();
    }

    /** The error-level message that replaces the failure's, telling the user what happens next. */
    static String message(String failure, String reason) {
        return failure + " while the machine was loaded (" + reason + "); building it again with cores=1\n";
    }

    /** {@code @ build-retried DRV - cores=1}: the next {@code @ build-started} of DRV is the second try. */
    static String trace(String drvPath) {
        return "@ build-retried " + drvPath + " - cores=1\n";
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of(); // no such file (PSI disabled): no signal
        }
    }

    private static double loadAverage(List<String> lines) {
        if (lines.isEmpty()) {
            return 0;
        }
        return number(lines.getFirst().strip().split("\\s+")[0]);
    }

    private static double memoryPressure(List<String> psi) {
        for (String line : psi) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length > 1 && fields[0].equals("some") && fields[1].startsWith("avg10=")) {
                return number(fields[1].substring("avg10=".length()));
            }
        }
        return 0;
    }

    private static double number(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
