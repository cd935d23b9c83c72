package loomd.spawner;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A spawner that outlives its helper: when the helper dies (kill -9, a crash), what it was running
 * fails with {@link SpawnError.SpawnerGone} as on a plain {@link SpawnerClient}, and a new helper is
 * launched at once for what comes next, so one lost helper does not fail every later build until the
 * daemon restarts. A helper that keeps dying right after its launch is relaunched with a growing pause
 * (up to {@link #MAX_PAUSE}); requests made meanwhile fail with the last reason.
 *
 * <p>Threads: the relaunch runs on a virtual thread started from the dead link's exit future (never
 * on the link's reader thread, which must not block); {@link #current} is the only shared state.
 */
public final class RelaunchingSpawner implements Spawner {
    static final Duration MAX_PAUSE = Duration.ofSeconds(5);

    private final Path binary;
    private final Path runtimeDir;
    private final Consumer<String> log;
    private volatile SpawnerClient current;
    private volatile boolean closed;
    private long pauseMillis;

    private RelaunchingSpawner(Path binary, Path runtimeDir, Consumer<String> log, SpawnerClient first) {
        this.binary = binary;
        this.runtimeDir = runtimeDir;
        this.log = log;
        watch(first);
    }

    /** Launches the first helper; fails as {@link SpawnerClient#launch} does. */
    public static RelaunchingSpawner launch(Path binary, Path runtimeDir, Consumer<String> log) throws IOException {
        return new RelaunchingSpawner(binary, runtimeDir, log, SpawnerClient.launch(binary, runtimeDir));
    }

    private void watch(SpawnerClient client) {
        current = client;
        client.terminated().thenAccept(gone -> {
            if (!closed) Thread.ofVirtual().name("loomd-spawner-relaunch").start(() -> relaunch(gone.message()));
        });
    }

    private synchronized void relaunch(String reason) {
        while (!closed) {
            log.accept("error: " + reason + "; starting a new spawner");
            try {
                TimeUnit.MILLISECONDS.sleep(pauseMillis);
                SpawnerClient next = SpawnerClient.launch(binary, runtimeDir);
                log.accept("spawner started (pid " + next.spawnerPid() + ")");
                pauseMillis = 0;
                watch(next);
                if (closed) next.close();
                return;
            } catch (IOException e) {
                reason = e.getMessage();
                pauseMillis = Math.min(MAX_PAUSE.toMillis(), Math.max(100, pauseMillis * 2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The link serving requests now (tests, diagnostics). */
    public SpawnerClient current() {
        return current;
    }

    @Override
    public CompletableFuture<SpawnedProcess> spawn(SpawnRequest request) {
        return current.spawn(request);
    }

    @Override
    public CompletableFuture<Void> killUser(int uid, int gid) {
        return current.killUser(uid, gid);
    }

    @Override
    public long spawnerPid() {
        return current.spawnerPid();
    }

    @Override
    public void close() {
        closed = true;
        current.close();
    }
}
