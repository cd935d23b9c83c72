package loomd.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import loomd.posix.Processes;

/**
 * Upstream's unprivileged mode: started by the service manager as the {@code guix-daemon} account
 * (etc/unprivileged/loomd.service: {@code User=guix-daemon}, {@code AmbientCapabilities=CAP_CHOWN}),
 * the daemon keeps that uid and runs builds in user namespaces as that account (the spawner clears
 * the ambient capabilities before it runs a builder, as upstream). Checked once at start, before
 * anything is created, so what that mode cannot do fails with one clear line rather than later:
 * build users ({@code --build-users-group}: they need root; upstream would silently build without
 * them), and a store or state directory the account cannot write.
 */
final class Privileges {
    /** Bit of CAP_CHOWN in /proc/self/status's capability masks. */
    private static final long CAP_CHOWN = 1L;

    private Privileges() { }

    static void check(DaemonConfig config, Consumer<String> log) throws SettingsException {
        int euid = effectiveUid();
        if (euid == 0) {
            return;
        }
        String user = ProcessHandle.current().info().user().orElse(Integer.toString(euid));
        String group = config.settings().buildUsersGroup;
        if (!group.isEmpty()) {
            throw new SettingsException("`--build-users-group=" + group + "' needs the daemon to run as root; running as `"
                    + user + "' (uid " + euid + "), builds run in user namespaces as that account, without build users");
        }
        Layout layout = config.layout();
        for (Path dir : new Path[] {layout.physicalStoreDir(), layout.stateDir()}) {
            Path existing = nearestExisting(dir);
            if (!Files.isWritable(existing)) {
                throw new SettingsException("`" + existing + "' is not writable by `" + user + "' (uid " + euid
                        + "); an unprivileged daemon needs the store and state directories owned by its account");
            }
        }
        boolean chown = hasEffective(CAP_CHOWN);
        log.accept("running unprivileged as `" + user + "' (uid " + euid + "): builds run in user namespaces"
                + (chown ? ", CAP_CHOWN kept for per-user profile and kept build directories"
                        : "; without CAP_CHOWN, per-user profile and kept build directories stay the daemon's"));
    }

    private static Path nearestExisting(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p.getParent() != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p;
    }

    private static boolean hasEffective(long capabilityBit) {
        try {
            return (Long.parseUnsignedLong(statusField("CapEff:"), 16) & capabilityBit) != 0;
        } catch (IOException | NumberFormatException e) {
            return false; // unknown: say it is missing, the cautious reading
        }
    }

    /**
     * The effective uid, from /proc/self/status ({@code Uid: real effective saved fs}) rather than
     * geteuid(2): the daemon's first FFM call costs its start ~100 ms (the downcall stubs are made
     * at run time), and nothing else before the first client needs FFM.
     */
    private static int effectiveUid() {
        try {
            return Integer.parseInt(statusField("Uid:").split("\\s+")[1]);
        } catch (IOException | RuntimeException e) {
            return Processes.geteuid();
        }
    }

    private static String statusField(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key)) return line.substring(key.length()).trim();
        }
        throw new IOException("no " + key + " in /proc/self/status");
    }
}
