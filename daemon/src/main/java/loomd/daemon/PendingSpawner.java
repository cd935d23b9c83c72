package loomd.daemon;

import java.util.concurrent.CompletableFuture;

import loomd.spawner.RelaunchingSpawner;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.Spawner;

/**
 * The spawner while it starts (issue 14: the first clients are served before it is up): a request
 * waits for the start as a future, so no thread blocks; one made after a failed start fails with
 * the start's error ({@code cannot start the spawner: ...}), which the daemon has logged.
 */
final class PendingSpawner implements Spawner {
    private final CompletableFuture<RelaunchingSpawner> ready;

    PendingSpawner(CompletableFuture<RelaunchingSpawner> ready) {
        this.ready = ready;
    }

    @Override
    public CompletableFuture<SpawnedProcess> spawn(SpawnRequest request) {
        return ready.thenCompose(s -> s.spawn(request));
    }

    @Override
    public CompletableFuture<Void> killUser(int uid, int gid) {
        return ready.thenCompose(s -> s.killUser(uid, gid));
    }

    /** Waits for the start (diagnostics only). */
    @Override
    public long spawnerPid() {
        return ready.join().spawnerPid();
    }

    /** Closes the spawner now, or as soon as its start ends. */
    @Override
    public void close() {
        ready.thenAccept(RelaunchingSpawner::close);
    }
}
