package loomd.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * store (daemon.md §2.3 as loomd orders it; the first client is served once all three are up): the native spawner, which forks every builder and helper, and the process
 * monitor, which applies time limits and kills what is left at shutdown. Builds use them later.
 *
 * <p>Startup policy: the spawner itself needs no privilege and no namespace (those are asked per
 * request), so a spawner that does not start is a broken installation, not a missing kernel
 * feature: the daemon refuses to start with a clear error. Requests needing namespaces the kernel
 * refuses fail one by one later, with the spawner's own error.
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
    private final RelaunchingSpawner spawner;
    private final ProcessMonitor monitor = new ProcessMonitor();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Set<MonitoredProcess> helpers = ConcurrentHashMap.newKeySet();
    private final Set<Long> helperPids = ConcurrentHashMap.newKeySet();
    private final Consumer<String> log;

    private ProcessServices(RelaunchingSpawner spawner, Consumer<String> log) {
        this.spawner = spawner;
        this.log = log;
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
        RelaunchingSpawner spawner;
        try {
            spawner = RelaunchingSpawner.launch(SpawnerBinary.locate(configured, dir), dir, log);
        } catch (IOException e) {
            throw new IOException("cannot start the spawner: " + e.getMessage(), e);
        }
        log.accept("spawner started (pid " + spawner.spawnerPid() + ")");
        return new ProcessServices(spawner, log);
    }

    /**
     * {@link #start} on a platform thread of its own (the launch blocks in native calls), so the
     * spawner comes up while the locker starts and the store opens; {@link #await} joins it.
     */
    static CompletableFuture<ProcessServices> startInBackground(Optional<Path> configured, Layout layout,
            Consumer<String> log) {
        CompletableFuture<ProcessServices> result = new CompletableFuture<>();
        Thread.ofPlatform().name("spawner-start").daemon(true).start(() -> {
            try {
                result.complete(start(configured, layout, log));
            } catch (IOException | RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** The started services, or {@link #start}'s own error. */
    static ProcessServices await(CompletableFuture<ProcessServices> starting) throws IOException {
        try {
            return starting.join();
        } catch (CompletionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException r -> throw r;
                case Error err -> throw err;
                default -> throw e;
            }
        }
    }

    /** On a failed start: closes the services once (if ever) they are up. */
    static void discard(CompletableFuture<ProcessServices> starting) {
        starting.thenAccept(ProcessServices::close);
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
