package loomd.daemon;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the daemon's directories are (daemon.md §1.1), from the environment and the store root.
 *
 * <p>{@code storeDir} is the logical store directory: it is what clients see and what store path
 * hashes are computed from. With a non-empty {@code storeRoot} (option {@code --store-root}, env
 * {@code LOOMD_STORE_ROOT}), it lives physically at {@code storeRoot + storeDir}, and so do the
 * default state, log and configuration directories; a directory given explicitly through its
 * environment variable is taken as a physical path as it is. Without a store root, logical and
 * physical paths coincide, as upstream.
 *
 * @param storeDir logical store directory, e.g. {@code /gnu/store}
 * @param storeRoot physical root prefix, or {@code null}
 * @param physicalStoreDir where store items are on disk
 * @param stateDir physical state directory ({@code V})
 * @param dbDir physical database directory
 * @param logDir physical build-log directory
 * @param confDir physical configuration directory ({@code C})
 */
public record Layout(String storeDir, Path storeRoot, Path physicalStoreDir, Path stateDir, Path dbDir,
        Path logDir, Path confDir) {

    public static final String DEFAULT_STORE_DIR = "/gnu/store";
    public static final String DEFAULT_STATE_DIR = "/var/guix";
    public static final String DEFAULT_LOG_DIR = "/var/log/guix";
    public static final String DEFAULT_CONF_DIR = "/etc/guix";

    /** Computes the layout from the environment and an optional store root ({@code null}: none). */
    public static Layout of(Map<String, String> env, Path storeRoot) {
        String storeDir = canonical(firstSet(env, "NIX_STORE_DIR", "NIX_STORE", DEFAULT_STORE_DIR));
        Path stateDir = physical(env.get("GUIX_STATE_DIRECTORY"), DEFAULT_STATE_DIR, storeRoot);
        Path dbDir = nonEmpty(env.get("GUIX_DATABASE_DIRECTORY"))
                ? Path.of(env.get("GUIX_DATABASE_DIRECTORY")) : stateDir.resolve("db");
        return new Layout(storeDir, storeRoot, under(storeRoot, storeDir), stateDir, dbDir,
                physical(env.get("GUIX_LOG_DIRECTORY"), DEFAULT_LOG_DIR, storeRoot),
                physical(env.get("GUIX_CONFIGURATION_DIRECTORY"), DEFAULT_CONF_DIR, storeRoot));
    }

    /** The default listening socket, {@code V/daemon-socket/socket}. */
    public Path defaultSocket() {
        return stateDir.resolve("daemon-socket").resolve("socket");
    }

    private static String firstSet(Map<String, String> env, String a, String b, String fallback) {
        if (nonEmpty(env.get(a))) {
            return env.get(a);
        }
        return nonEmpty(env.get(b)) ? env.get(b) : fallback;
    }

    private static Path physical(String explicit, String fallback, Path root) {
        return nonEmpty(explicit) ? Path.of(canonical(explicit)) : under(root, fallback);
    }

    private static Path under(Path root, String absolute) {
        return root == null ? Path.of(absolute) : root.resolve(absolute.substring(1));
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    /** Upstream's canonPath: absolute, no {@code .}/{@code ..}, no double or trailing slash. */
    static String canonical(String dir) {
        if (!dir.startsWith("/")) {
            throw new IllegalArgumentException("not an absolute path: `" + dir + "'");
        }
        return Path.of(dir).normalize().toString();
    }
}
