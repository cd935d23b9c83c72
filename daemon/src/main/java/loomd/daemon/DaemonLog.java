package loomd.daemon;

import java.io.PrintStream;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The daemon's log is its stderr, one line per event, as guix-daemon's (a journal shows one
 * entry per line). {@link Main#log} prints upstream's texts as they are; this routes the
 * {@code System.Logger} records of the store and build packages (java.util.logging underneath)
 * to the same stream, one line each, instead of the JDK's two-line records with a date and a
 * class name. The texts are upstream's where upstream prints the same event, with their own
 * {@code warning: } where upstream has one; only an error record gets {@code error: } in front
 * when it lacks it. {@code --debug} lets debug records through; an uncaught exception becomes one
 * line too (with its stack trace only under {@code --debug}).
 */
final class DaemonLog {
    private DaemonLog() { }

    static void configure(boolean debug) {
        // sqlite-jdbc and JGit log through SLF4J, which has no provider here and says so in three
        // "SLF4J(W)" lines at the first use: not an event of the daemon's, so not in its log.
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Level level = debug ? Level.FINE : Level.INFO;
        Handler line = new LineHandler(System.err);
        line.setLevel(level);
        root.setLevel(level);
        root.addHandler(line);
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            System.err.println("unexpected build daemon error: " + e + " (thread " + thread.getName() + ")");
            if (debug) {
                e.printStackTrace();
            }
        });
    }

    /** Upstream's debug lines about the settings, under {@code --debug} only. */
    static void startupDetails(DaemonConfig config, java.util.function.Consumer<String> log) {
        if (config.verbosity() < 4) {
            return;
        }
        Settings s = config.settings();
        log.accept("build log compression: " + s.logCompression.name().toLowerCase(java.util.Locale.ROOT));
        if (s.useChroot) {
            log.accept("extra chroot directories: '" + s.get("build-extra-chroot-dirs", "") + "'");
        }
        log.accept("automatic deduplication set to " + (s.autoOptimiseStore ? 1 : 0));
    }

    /** The text of one record as one line. */
    static String format(LogRecord r, Formatter messages) {
        StringBuilder sb = new StringBuilder();
        String message = messages.formatMessage(r);
        if (r.getLevel().intValue() >= Level.SEVERE.intValue() && !message.startsWith("error: ")) {
            sb.append("error: ");
        }
        sb.append(message);
        if (r.getThrown() != null && !sb.toString().contains(String.valueOf(r.getThrown().getMessage()))) {
            sb.append(": ").append(r.getThrown());
        }
        // A message quoting a multi-line text (a builder's error) stays one journal entry.
        return sb.toString().replace("\r", "").replace("\n", " | ");
    }

    private static final class LineHandler extends Handler {
        private final PrintStream out;
        private final Formatter messages = new Formatter() {
            @Override
            public String format(LogRecord r) {
                return formatMessage(r);
            }
        };

        LineHandler(PrintStream out) {
            this.out = out;
        }

        @Override
        public void publish(LogRecord r) {
            if (isLoggable(r)) {
                out.println(format(r, messages));
            }
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
