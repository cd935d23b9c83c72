package loomd.spawner;

import java.util.concurrent.CompletableFuture;

/**
 * What the daemon asks of a spawner: start a child, kill a build user's processes. One link is a
 * {@link SpawnerClient}; {@link RelaunchingSpawner} keeps one alive across the helper's deaths.
 */
public interface Spawner extends AutoCloseable {
    /** See {@link SpawnerClient#spawn}. */
    CompletableFuture<SpawnedProcess> spawn(SpawnRequest request);

    /** See {@link SpawnerClient#killUser}. */
    CompletableFuture<Void> killUser(int uid, int gid);

    /** The pid of the spawner serving requests now. */
    long spawnerPid();

    @Override
    void close();
}
