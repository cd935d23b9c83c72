package loomd.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import loomd.process.ProcessMonitor;
import loomd.spawner.SpawnerBinary;
import loomd.spawner.SpawnerClient;

/**
 * The daemon's process machinery, started once at startup right after the locker (daemon.md §2.3
 * as loomd orders it): the native spawner, which forks every builder and helper, and the process
 * monitor, which applies time limits and kills what is left at shutdown. Builds use them later.
 *
 * <p>Startup policy: the spawner itself needs no privilege and no namespace (those are asked per
 * request), so a spawner that does not start is a broken installation, not a missing kernel
 * feature: the daemon refuses to start with a clear error. Requests needing namespaces the kernel
 * refuses fail one by one later, with the spawner's own error.
 *
 * <p>The spawner dies with the daemon even on SIGKILL (its parent-death signal), so no builder
 * outlives a killed daemon.
 */
public final class ProcessServices implements AutoCloseable {
    private final SpawnerClient spawner;
    private final ProcessMonitor monitor = new ProcessMonitor();
    private final AtomicBoolean closing = new AtomicBoolean();

    private ProcessServices(SpawnerClient spawner, Consumer<String> log) {
        this.spawner = spawner;
        spawner.terminated().thenAccept(gone -> {
            if (!closing.get()) {
                log.accept("error: " + gone.message() + "; builds will fail until the daemon is restarted");
            }
        });
    }

    /** Where the spawner binary is extracted and its one-shot link socket is made: {@code V/loomd}. */
    static Path privateDir(Layout layout) {
        return layout.stateDir().resolve("loomd");
    }

    /**
     * Starts the spawner ({@code configured}, else the copy inside the jar) and the monitor.
     *
     * @throws IOException saying that the spawner did not start, and why
     */
    static ProcessServices start(Optional<Path> configured, Layout layout, Consumer<String> log) throws IOException {
        Path dir = privateDir(layout);
        SpawnerClient spawner;
        try {
            spawner = SpawnerClient.launch(SpawnerBinary.locate(configured, dir), dir);
        } catch (IOException e) {
            throw new IOException("cannot start the spawner: " + e.getMessage(), e);
        }
        log.accept("spawner started (pid " + spawner.spawnerPid() + ")");
        return new ProcessServices(spawner, log);
    }

    public SpawnerClient spawner() { return spawner; }

    public ProcessMonitor monitor() { return monitor; }

    /** Kills what the monitor still watches, stops its timers, then closes the spawner link. */
    @Override
    public void close() {
        closing.set(true);
        monitor.killAll();
        monitor.close();
        spawner.close();
    }
}
