package loomd.daemon.offload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code guix} program {@code G} that runs every helper (daemon.md §1.1): env {@code GUIX}, else
 * {@code NIX_BIN_DIR/guix}, else {@code guix} on the {@code PATH}. Tests point {@code GUIX} at a
 * stand-in, as an administrator can.
 */
public final class HookCommand {
    private HookCommand() {}

    /** The full file name of {@code G}, if there is one. */
    public static Optional<String> guix(Map<String, String> env) {
        String guix = env.get("GUIX");
        if (guix != null && !guix.isEmpty()) {
            return Optional.of(guix);
        }
        String binDir = env.get("NIX_BIN_DIR");
        if (binDir != null && Files.isExecutable(Path.of(binDir, "guix"))) {
            return Optional.of(Path.of(binDir, "guix").toString());
        }
        for (String dir : env.getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "guix"))) {
                return Optional.of(Path.of(dir, "guix").toString());
            }
        }
        return Optional.empty();
    }

    /** §6.2: {@code [G, "offload", SYSTEM, MAX-SILENT-TIME, PRINT-BUILD-TRACE, BUILD-TIMEOUT]}. */
    public static List<String> offloadArgv(String guix, String system, long maxSilentTime, boolean printBuildTrace,
            long buildTimeout) {
        return List.of(guix, "offload", system, Long.toString(maxSilentTime), printBuildTrace ? "1" : "0",
                Long.toString(buildTimeout));
    }
}
