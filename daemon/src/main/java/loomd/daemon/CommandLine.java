package loomd.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import loomd.daemon.server.ConnectionLimits;
import loomd.daemon.store.Durability;

/**
 * guix-daemon's command line (daemon.md §2.2), parsed argp-style: {@code --opt=V} or
 * {@code --opt V}, unambiguous abbreviations of long options, {@code -c N}/{@code -cN},
 * {@code --help}, {@code --usage}, {@code -V/--version}; plus loomd's own options.
 */
public final class CommandLine {

    public static final String PROGRAM = "guix-daemon";
    public static final String VERSION = "loomd 0.1.0 (guix-daemon protocol 0x164)";

    /** What the command line asks for. */
    public sealed interface Parsed permits Run, Print { }

    /** Print {@code text} to stdout and exit 0 ({@code --help}, {@code --version}, {@code --usage}). */
    public record Print(String text) implements Parsed { }

    /** Start the daemon. */
    public record Run(DaemonConfig config) implements Parsed { }

    /** A command-line error: print {@code PROGRAM: message} and the hint, exit 64 (EX_USAGE). */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    private enum Arg { NONE, REQUIRED, OPTIONAL }

    private record Option(String name, char shortName, Arg arg, boolean hidden, String argName, String help) { }

    private static final List<Option> OPTIONS = List.of(
            new Option("system", '\0', Arg.REQUIRED, false, "SYSTEM", "assume SYSTEM as the current system type"),
            new Option("cores", 'c', Arg.REQUIRED, false, "N",
                    "use N CPU cores to build each derivation; 0 means as many as available"),
            new Option("max-jobs", 'M', Arg.REQUIRED, false, "N", "allow at most N build jobs"),
            new Option("timeout", '\0', Arg.REQUIRED, false, "SECONDS",
                    "mark builds as failed after SECONDS of activity"),
            new Option("max-silent-time", '\0', Arg.REQUIRED, false, "SECONDS",
                    "mark builds as failed after SECONDS of silence"),
            new Option("disable-chroot", '\0', Arg.NONE, false, null, "disable chroot builds"),
            new Option("chroot-directory", '\0', Arg.REQUIRED, false, "DIR", "add DIR to the build chroot"),
            new Option("build-users-group", '\0', Arg.REQUIRED, false, "GROUP", "perform builds as a user of GROUP"),
            new Option("no-substitutes", '\0', Arg.NONE, false, null, "do not use substitutes"),
            new Option("substitute-urls", '\0', Arg.REQUIRED, false, "URLS",
                    "use URLS as the default list of substitute providers"),
            new Option("no-offload", '\0', Arg.NONE, false, null, "do not attempt to offload builds"),
            new Option("no-build-hook", '\0', Arg.NONE, true, null, "do not attempt to offload builds"),
            new Option("cache-failures", '\0', Arg.NONE, false, null, "cache build failures"),
            new Option("rounds", '\0', Arg.REQUIRED, false, "N", "build each derivation N times in a row"),
            new Option("lose-logs", '\0', Arg.NONE, false, null, "do not keep build logs"),
            new Option("disable-log-compression", '\0', Arg.NONE, true, null, "disable compression of the build logs"),
            new Option("log-compression", '\0', Arg.REQUIRED, false, "TYPE",
                    "use the specified compression type for build logs"),
            new Option("discover", '\0', Arg.OPTIONAL, false, "yes/no",
                    "use substitute servers discovered on the local network"),
            new Option("disable-deduplication", '\0', Arg.NONE, false, null,
                    "disable automatic file \"deduplication\" in the store"),
            new Option("disable-store-optimization", '\0', Arg.NONE, true, null, null),
            new Option("impersonate-linux-2.6", '\0', Arg.NONE, false, null, "impersonate Linux 2.6"),
            new Option("gc-keep-outputs", '\0', Arg.OPTIONAL, false, "yes/no",
                    "tell whether the GC must keep outputs of live derivations"),
            new Option("gc-keep-derivations", '\0', Arg.OPTIONAL, false, "yes/no",
                    "tell whether the GC must keep derivations corresponding to live outputs"),
            new Option("listen", '\0', Arg.REQUIRED, false, "SOCKET", "listen for connections on SOCKET"),
            new Option("debug", '\0', Arg.NONE, false, null, "start every session at debug verbosity (4) until its client sets its own"),
            new Option("max-connections", '\0', Arg.REQUIRED, false, "N",
                    "[loomd] serve at most N connections at once (default 4096); a client over the limit, or "
                            + "over its user's share, is disconnected at once"),
            new Option("max-user-connections", '\0', Arg.REQUIRED, false, "N",
                    "[loomd] let each user other than root hold at most N connections (default: a quarter of "
                            + "--max-connections); all TCP clients together count as one user"),
            new Option("root-connections", '\0', Arg.REQUIRED, false, "N",
                    "[loomd] keep N of the --max-connections slots for root (default: a quarter of them, at most "
                            + "64)"),
            new Option("handshake-timeout", '\0', Arg.REQUIRED, false, "SECONDS",
                    "[loomd] close a connection that has not completed its handshake within SECONDS (default 60; "
                            + "0: never)"),
            new Option("first-op-timeout", '\0', Arg.REQUIRED, false, "SECONDS",
                    "[loomd] close a connection that sends no operation within SECONDS of its handshake (default "
                            + "0: never; `guix publish' keeps an unused connection until its first request)"),
            new Option("store-root", '\0', Arg.REQUIRED, false, "DIR",
                    "[loomd] keep the store, state and log directories physically under DIR "
                            + "(env LOOMD_STORE_ROOT)"),
            new Option("shutdown-grace", '\0', Arg.REQUIRED, false, "SECONDS",
                    "[loomd] on SIGTERM, let open sessions finish for SECONDS (default 10)"),
            new Option("session-markers", '\0', Arg.NONE, false, null,
                    "[loomd] make each Unix-socket session visible to `guix processes' (a `guix-daemon CLIENT-PID' "
                            + "marker process per session; off by default)"),
            new Option("spawner", '\0', Arg.REQUIRED, false, "PATH",
                    "[loomd] run the native spawner at PATH instead of the copy inside the jar (env LOOMD_SPAWNER)"),
            new Option("durability", '\0', Arg.REQUIRED, false, "MODE",
                    "[loomd] when an add is acknowledged: `batched' (default) once it is in place and registered, "
                            + "the disk sync following within --flush-interval (a power cut meanwhile is repaired at "
                            + "the next start); `strict' only after that sync"),
            new Option("flush-interval", '\0', Arg.REQUIRED, false, "MS",
                    "[loomd] sync recent adds to disk in groups every MS milliseconds (default 1000)"),
            new Option("idle-exit", '\0', Arg.REQUIRED, false, "SECONDS",
                    "[loomd] when socket-activated, exit after SECONDS with no session, build, substitution or "
                            + "GC (default 0: never); clients arriving meanwhile wait for the next activation"),
            new Option("retry-under-load", '\0', Arg.OPTIONAL, false, "yes/no",
                    "[loomd] build again once, with one core, a derivation whose builder failed while the load "
                            + "average exceeded the cores or memory was under pressure (default yes)"),
            new Option("load-signal", '\0', Arg.REQUIRED, false, "FILE",
                    "[loomd] read the load from FILE (first line as /proc/loadavg, further lines as "
                            + "/proc/pressure/memory) instead of the kernel's files, for --retry-under-load"),
            new Option("substituter", '\0', Arg.REQUIRED, false, "MODE",
                    "[loomd] fetch substitutes with `helper' (default: upstream's `guix substitute') or `native' "
                            + "(the daemon's own HTTP client, signature checks and decompression)"),
            new Option("help", '?', Arg.NONE, false, null, "give this help list"),
            new Option("usage", '\0', Arg.NONE, false, null, "give a short usage message"),
            new Option("version", 'V', Arg.NONE, false, null, "print program version"));

    /** Options parsed and kept in the settings, whose behaviour belongs to later work. */
    private static final List<String> PENDING = List.of("chroot-directory", "discover", "impersonate-linux-2.6");

    private CommandLine() { }

    public static Parsed parse(List<String> args, Map<String, String> env) throws UsageException {
        Builder b = new Builder(env);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                if (i + 1 < args.size()) {
                    throw new UsageException("too many arguments");
                }
                break;
            }
            if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                String name = eq < 0 ? body : body.substring(0, eq);
                Option o = lookupLong(name);
                String value = eq < 0 ? null : body.substring(eq + 1);
                if (o.arg == Arg.NONE && value != null) {
                    throw new UsageException("option '--" + o.name + "' doesn't allow an argument");
                }
                if (o.arg == Arg.REQUIRED && value == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("option '--" + o.name + "' requires an argument");
                    }
                    value = args.get(++i);
                }
                Parsed p = b.apply(o, value);
                if (p != null) {
                    return p;
                }
            } else if (a.startsWith("-") && a.length() > 1) {
                Option o = lookupShort(a.charAt(1));
                String value = null;
                if (o.arg == Arg.REQUIRED) {
                    if (a.length() > 2) {
                        value = a.substring(2);
                    } else if (i + 1 < args.size()) {
                        value = args.get(++i);
                    } else {
                        throw new UsageException("option requires an argument -- '" + a.charAt(1) + "'");
                    }
                } else if (a.length() > 2) {
                    throw new UsageException("invalid option -- '" + a.charAt(2) + "'");
                }
                Parsed p = b.apply(o, value);
                if (p != null) {
                    return p;
                }
            } else {
                throw new UsageException("too many arguments");
            }
        }
        return new Run(b.build());
    }

    private static Option lookupLong(String name) throws UsageException {
        Option prefixMatch = null;
        boolean ambiguous = false;
        for (Option o : OPTIONS) {
            if (o.name.equals(name)) {
                return o;
            }
            if (!name.isEmpty() && o.name.startsWith(name)) {
                ambiguous |= prefixMatch != null;
                prefixMatch = o;
            }
        }
        if (ambiguous) {
            throw new UsageException("option '--" + name + "' is ambiguous");
        }
        if (prefixMatch == null) {
            throw new UsageException("unrecognized option '--" + name + "'");
        }
        return prefixMatch;
    }

    private static Option lookupShort(char c) throws UsageException {
        for (Option o : OPTIONS) {
            if (o.shortName == c) {
                return o;
            }
        }
        throw new UsageException("invalid option -- '" + c + "'");
    }

    /** argp's yes/no: case-insensitive, an omitted argument means yes. */
    static boolean yesNo(String arg) throws UsageException {
        if (arg == null) {
            return true;
        }
        return switch (arg.toLowerCase(Locale.ROOT)) {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new UsageException("'" + arg + "': invalid Boolean value");
        };
    }

    private static final class Builder {
        private final Map<String, String> env;
        private final Settings settings = new Settings();
        private final List<String> listen = new ArrayList<>();
        private int verbosity = 1;
        private String maxConnections = Integer.toString(ConnectionLimits.DEFAULT_MAX);
        private String shutdownGrace = "10";
        private String maxUserConnections;
        private String rootConnections;
        private String handshakeTimeout = Long.toString(ConnectionLimits.DEFAULT_HANDSHAKE_TIMEOUT.toSeconds());
        private String firstOpTimeout = "0";
        private String storeRoot;
        private boolean sessionMarkers;
        private String spawner;
        private String durability = "batched";
        private String flushInterval = Long.toString(Durability.DEFAULT_FLUSH_INTERVAL.toMillis());
        private String idleExit = "0";
        private String substituter = "helper";

        Builder(Map<String, String> env) {
            this.env = env;
            // guix-daemon's main(): substitutes on with the default URLs, offload on.
            settings.set("build-use-substitutes", "true");
            settings.set("substitute-urls", Settings.DEFAULT_SUBSTITUTE_URLS);
            storeRoot = env.get("LOOMD_STORE_ROOT");
            spawner = env.get("LOOMD_SPAWNER");
        }

        /** Applies one option; returns non-null when parsing stops there (help, version). */
        Parsed apply(Option o, String v) throws UsageException {
            switch (o.name) {
                case "system" -> settings.thisSystem = v;
                case "cores" -> settings.set("build-cores", v);
                case "max-jobs" -> settings.set("build-max-jobs", v);
                case "timeout" -> settings.set("build-timeout", v);
                case "max-silent-time" -> settings.set("build-max-silent-time", v);
                case "disable-chroot" -> settings.useChroot = false;
                case "chroot-directory" -> {
                    String dirs = settings.get("build-extra-chroot-dirs", "");
                    settings.set("build-extra-chroot-dirs", dirs.isEmpty() ? v : dirs + " " + v);
                }
                case "build-users-group" -> settings.buildUsersGroup = v;
                case "no-substitutes" -> settings.set("build-use-substitutes", "false");
                case "substitute-urls" -> settings.set("substitute-urls", v);
                case "no-offload", "no-build-hook" -> settings.useBuildHook = false;
                case "cache-failures" -> settings.cacheFailure = true;
                case "rounds" -> {
                    if (!v.matches("[0-9]+")) {
                        throw new UsageException(v + ": invalid number of rounds");
                    }
                    settings.set("build-repeat", Long.toString(Math.max(0, Long.parseLong(v) - 1)));
                }
                case "lose-logs" -> settings.keepLog = false;
                case "disable-log-compression" -> settings.logCompression = Settings.LogCompression.NONE;
                case "log-compression" -> settings.logCompression = switch (v) {
                    case "none" -> Settings.LogCompression.NONE;
                    case "gzip" -> Settings.LogCompression.GZIP;
                    case "bzip2" -> Settings.LogCompression.BZIP2;
                    default -> throw new UsageException(v + ": unknown compression type");
                };
                case "discover" -> settings.set("discover", yesNo(v) ? "true" : "false");
                case "disable-deduplication", "disable-store-optimization" -> settings.autoOptimiseStore = false;
                case "impersonate-linux-2.6" -> settings.impersonateLinux26 = true;
                case "gc-keep-outputs" -> settings.gcKeepOutputs = yesNo(v);
                case "gc-keep-derivations" -> settings.gcKeepDerivations = yesNo(v);
                case "listen" -> listen.add(v);
                case "debug" -> verbosity = 4;
                case "max-connections" -> maxConnections = v;
                case "max-user-connections" -> maxUserConnections = v;
                case "root-connections" -> rootConnections = v;
                case "handshake-timeout" -> handshakeTimeout = v;
                case "first-op-timeout" -> firstOpTimeout = v;
                case "store-root" -> storeRoot = v;
                case "shutdown-grace" -> shutdownGrace = v;
                case "session-markers" -> sessionMarkers = true;
                case "spawner" -> spawner = v;
                case "durability" -> durability = v;
                case "flush-interval" -> flushInterval = v;
                case "idle-exit" -> idleExit = v;
                case "retry-under-load" -> settings.retryUnderLoad = yesNo(v);
                case "load-signal" -> settings.loadSignal = v;
                case "substituter" -> substituter = v;
                case "help" -> { return new Print(help()); }
                case "usage" -> { return new Print(usage()); }
                case "version" -> { return new Print(VERSION + "\n"); }
                default -> throw new IllegalStateException("unhandled option " + o.name);
            }
            return null;
        }

        DaemonConfig build() throws UsageException {
            ConnectionLimits connections = connectionLimits();
            int grace = positive("shutdown-grace", shutdownGrace);
            Path root = storeRoot == null || storeRoot.isEmpty() ? null : Path.of(storeRoot).toAbsolutePath().normalize();
            Layout layout;
            try {
                layout = Layout.of(env, root);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            Optional<Path> spawnerBinary = spawner == null || spawner.isEmpty()
                    ? Optional.empty() : Optional.of(Path.of(spawner).toAbsolutePath());
            return new DaemonConfig(settings, layout, List.copyOf(listen), connections, Duration.ofSeconds(grace), verbosity,
                    sessionMarkers, spawnerBinary, durability(), Duration.ofSeconds(positive("idle-exit", idleExit)),
                    nativeSubstituter());
        }

        private boolean nativeSubstituter() throws UsageException {
            return switch (substituter) {
                case "native" -> true;
                case "helper" -> false;
                default -> throw new UsageException("--substituter: `" + substituter + "' is neither `helper' nor `native'");
            };
        }

        private Durability durability() throws UsageException {
            Durability.Mode mode;
            try {
                mode = Durability.Mode.parse(durability);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--durability: " + e.getMessage());
            }
            return new Durability(mode, Duration.ofMillis(atLeastOne("flush-interval", flushInterval)));
        }

        private ConnectionLimits connectionLimits() throws UsageException {
            int max = atLeastOne("max-connections", maxConnections);
            int perUser = maxUserConnections == null ? ConnectionLimits.defaultPerUser(max)
                    : atLeastOne("max-user-connections", maxUserConnections);
            int reserved = rootConnections == null ? ConnectionLimits.defaultRootReserved(max)
                    : positive("root-connections", rootConnections);
            if (reserved >= max) {
                // Nobody but root could ever connect.
                throw new UsageException("--root-connections: `" + rootConnections
                        + "' must be fewer than --max-connections (" + max + ")");
            }
            return new ConnectionLimits(max, perUser, reserved,
                    Duration.ofSeconds(positive("handshake-timeout", handshakeTimeout)),
                    Duration.ofSeconds(positive("first-op-timeout", firstOpTimeout)));
        }

        private static int atLeastOne(String option, String v) throws UsageException {
            int n = positive(option, v);
            if (n < 1) {
                // A zero limit would refuse every client.
                throw new UsageException("--" + option + ": `" + v + "' must be at least 1");
            }
            return n;
        }

        private static int positive(String option, String v) throws UsageException {
            if (!v.matches("[0-9]{1,9}") || Integer.parseInt(v) < 0) {
                throw new UsageException("--" + option + ": `" + v + "' is not a non-negative integer");
            }
            return Integer.parseInt(v);
        }
    }

    static String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: ").append(PROGRAM).append(" [OPTION...]\n");
        sb.append("guix-daemon -- perform derivation builds and store accesses\n");
        sb.append("(loomd: a Java implementation of guix-daemon; options marked [pending] are accepted and\n");
        sb.append(" kept in the settings, but have no effect yet.)\n\n");
        for (Option o : OPTIONS) {
            if (o.hidden) {
                continue;
            }
            String left = (o.shortName != '\0' ? "  -" + o.shortName + ", " : "      ") + "--" + o.name
                    + switch (o.arg) {
                        case NONE -> "";
                        case REQUIRED -> "=" + o.argName;
                        case OPTIONAL -> "[=" + o.argName + "]";
                    };
            String text = (PENDING.contains(o.name) ? "[pending] " : "") + o.help;
            sb.append(left.length() < 30 ? String.format("%-30s%s%n", left, text) : left + "\n" + " ".repeat(30) + text + "\n");
        }
        sb.append("\nEnvironment: NIX_STORE_DIR (logical store directory, default /gnu/store), GUIX_STATE_DIRECTORY,\n");
        sb.append("GUIX_DATABASE_DIRECTORY, GUIX_LOG_DIRECTORY, GUIX_CONFIGURATION_DIRECTORY, LISTEN_PID/LISTEN_FDS\n");
        sb.append("(socket activation), GUIX (the guix program whose `authenticate' signs and checks exports; else\n");
        sb.append("NIX_BIN_DIR/guix or guix on the PATH), LOOMD_STORE_ROOT, LOOMD_SPAWNER.\n");
        return sb.toString();
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("Usage: " + PROGRAM);
        for (Option o : OPTIONS) {
            if (!o.hidden) {
                sb.append(" [--").append(o.name).append(o.arg == Arg.REQUIRED ? "=" + o.argName : "").append(']');
            }
        }
        return sb.append('\n').toString();
    }
}
