package loomd.daemon.build.builtin;

import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

import loomd.daemon.build.BuildLog;
import loomd.daemon.build.BuilderRun;
import loomd.spawner.ProcessGroup;
import loomd.spawner.SpawnRequest;

/**
 * Upstream's way, for what only Guile can do: {@code guix perform-download DRV OUTPUT} with the
 * daemon's environment plus {@code NIX_STORE} and {@code _NIX_OPTIONS}, started as a builder is (its
 * own session, the build directory as working directory, its output in the build log).
 */
final class GuileFallback {
    private GuileFallback() {}

    /** The {@code guix} program the daemon found at startup (the one whose {@code authenticate} it uses). */
    static Optional<String> guixProgram(BuiltinContext c) {
        List<String> command = c.store().config().authenticateCommand();
        return command.isEmpty() || !command.getFirst().startsWith("/") ? Optional.empty() : Optional.of(command.getFirst());
    }

    static BuilderRun start(BuiltinContext c, String guix, BuildLog log, BuilderRun.OutputSink sink) {
        String output = c.output().equals(c.store().config().physical(c.drv().outputs().get("out").path()))
                ? c.drv().outputs().get("out").path() : c.output().toString();
        TreeMap<String, String> env = new TreeMap<>(c.daemonEnv());
        env.put("NIX_STORE", c.store().config().storeDir().path());
        // perform-download only looks for this substring in the settings
        env.put("_NIX_OPTIONS", "print-extended-build-trace=" + (c.extendedTraces() ? "1" : "0") + "\n");
        SpawnRequest.Builder request = SpawnRequest.builder().program(guix)
                .argv("guix", "perform-download", c.drvPath(), output)
                .env(env)
                .cwd(c.buildDir().toString())
                .processGroup(ProcessGroup.NEW_SESSION);
        return BuilderRun.start(c.spawner(), c.monitor(), request, log, c.limits(), c.maxLogSize(), sink);
    }
}
