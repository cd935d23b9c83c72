package loomd.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import loomd.locker.LockerClient;
import loomd.process.Limits;
import loomd.process.MonitoredProcess;
import loomd.process.ProcessMonitor;
import loomd.spawner.SpawnerBinary;
import loomd.spawner.RelaunchingSpawner;
import loomd.spawner.Spawner;

/**
 * The daemon's process machinery, started once at startup in parallel with the locker and the
 * store (daemon.md §2.3 as loomd orders it; the first client is served as soon as the store is
 * open, a request for the spawner waits for it): the native spawner, which forks every builder and helper, and the process
 * monitor, which applies time limits and kills what is left at shutdown. Builds use them later.
 *
 * <p>Startup policy: the spawner itself needs no privilege and no namespace (those are asked per
 * request), so a spawner that does not start is a broken installation, not a missing kernel
 * feature: a configured binary that is not executable makes the daemon refuse to start with a
 * clear error; a start that fails later is logged, and every request for the spawner fails with
 * that error. Requests needing namespaces the kernel refuses fail one by one later, with the
 * spawner's own error.
 *
 * <p>A spawner that dies under a running daemon (kill -9, a crash) is relaunched at once
 * ({@link RelaunchingSpawner}): the builds it was running fail, later ones run on the new one.
 *
 * <p>The spawner dies with the daemon even on SIGKILL (its parent-death signal), so no builder
 * outlives a killed daemon.
 *
 * <p>The daemon's own JDK-started helpers (the locker, each one the locker client starts) are watched
 * by the same monitor, without limits; an unexpected exit is logged once. {@link #close} kills
 * builders, never a helper: the locker's owner stops it cleanly after the store is closed.
 */
public final class ProcessServices implements AutoCloseable {
    private final Spawner spawner;
    private final ProcessMonitor monitor = new ProcessMonitor();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Set<MonitoredProcess> helpers = ConcurrentHashMap.newKeySet();
    private final Set<Long> helperPids = ConcurrentHashMap.newKeySet();
    private final Consumer<String> log;

    private ProcessServices(Spawner spawner, Consumer<String> log) {
        this.spawner = spawner;
        this.log = log;
    }

    /** Where the spawner binary is extracted and its one-shot link socket is made: {@code V/loomd}. */
    static Path privateDir(Layout layout) {
        return layout.stateDir().resolve("loomd");
    }

    /**
     * Starts the spawner ({@code configured}, else the copy inside the jar) on a platform thread of
     * its own (the launch blocks in native calls) and returns at once: the daemon serves meanwhile,
     * and a request for the spawner waits for it ({@link PendingSpawner}). A start that fails is
     * logged, and each such request fails with the same error.
     *
     * @throws IOException when {@code configured} is not an executable file: a broken installation,
     *     refused before anything is served
     */
    static ProcessServices start(Optional<Path> configured, Layout layout, Consumer<String> log) throws IOException {
        Path dir = privateDir(layout);
        if (configured.isPresent()) {
            try {
                SpawnerBinary.fromPath(configured.get());
            } catch (IOException e) {
                throw new IOException("cannot start the spawner: " + e.getMessage(), e);
            }
        }
        CompletableFuture<RelaunchingSpawner> ready = new CompletableFuture<>();
        Thread.ofPlatform().name("spawner-start").daemon(true).start(() -> {
            try {
                RelaunchingSpawner spawner = RelaunchingSpawner.launch(SpawnerBinary.locate(configured, dir), dir, log);
                log.accept("spawner started (pid " + spawner.spawnerPid() + ")");
                ready.complete(spawner);
            } catch (IOException | RuntimeException | Error e) {
                log.accept("error: cannot start the spawner: " + e.getMessage());
                ready.completeExceptionally(new IOException("cannot start the spawner: " + e.getMessage(), e));
            }
        });
        return new ProcessServices(new PendingSpawner(ready), log);
    }

    public Spawner spawner() { return spawner; }

    public ProcessMonitor monitor() { return monitor; }

    /** Whether a process other than a helper (a builder, a substituter, a hook) is running. */
    public boolean busy() {
        return monitor.live().stream().anyMatch(p -> !helpers.contains(p));
    }

    /** Watches every locker process {@code locker} runs, the current one and each restarted one. */
    void watchLocker(LockerClient locker) {
        locker.onLockerStarted(this::watchLockerProcess);
    }

    private void watchLockerProcess(Process process) {
        if (!helperPids.add(process.pid())) return;
        MonitoredProcess watched = monitor.watch(process, Limits.NONE);
        helpers.add(watched);
        log.accept("watching the locker (pid " + process.pid() + ")");
        watched.onExit().whenComplete((status, error) -> {
            helpers.remove(watched);
            helperPids.remove(process.pid());
            if (!closing.get()) {
                log.accept("error: the locker (pid " + process.pid() + ") exited unexpectedly ("
                        + (error == null ? status : error.getMessage()) + "); its locks are lost, a new locker takes over");
            }
        });
    }

    /**
     * Kills what the monitor still watches except the helpers (their owners stop them), stops its
     * timers, then closes the spawner link.
     */
    @Override
    public void close() {
        closing.set(true);
        monitor.live().stream().filter(p -> !helpers.contains(p)).forEach(MonitoredProcess::kill);
        monitor.close();
        spawner.close();
    }
}
