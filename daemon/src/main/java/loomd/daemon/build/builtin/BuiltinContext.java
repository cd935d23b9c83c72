package loomd.daemon.build.builtin;

import java.nio.file.Path;
import java.util.Map;

import loomd.daemon.store.LocalStore;
import loomd.process.Limits;
import loomd.process.ProcessMonitor;
import loomd.protocol.drv.Derivation;
import loomd.spawner.Spawner;

/**
 * Everything one built-in build needs from its goal.
 *
 * @param output          where the {@code out} output is to be written (the store path's file, or its
 *                        redirected place in check mode)
 * @param buildDir        the build directory (the working directory of a {@code guix perform-download})
 * @param daemonEnv       the daemon's own environment: {@code guix perform-download} gets it, not the
 *                        derivation's (§4.14)
 * @param extendedTraces  the client asked for {@code print-extended-build-trace}
 */
public record BuiltinContext(String drvPath, Derivation drv, Path output, LocalStore store, Path buildDir,
        Map<String, String> daemonEnv, boolean extendedTraces, Spawner spawner, ProcessMonitor monitor,
        Limits limits, long maxLogSize) {

    /** The name after {@code builtin:}. */
    public String name() {
        return drv.builder().substring("builtin:".length());
    }
}
