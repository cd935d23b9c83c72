package loomd.daemon.build;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.roots.FileLocker;
import loomd.process.ProcessMonitor;
import loomd.spawner.Spawner;

/**
 * What every build of the daemon shares: the store, the spawner and process monitor, the locker for
 * output locks, and the table of running derivation goals ({@link SharedGoals}), so that two sessions
 * asking for one derivation build it once. One per daemon, made at startup; thread-safe.
 *
 * <p>Sessions find it through {@link #of(LocalStore)} (the store is what a session already holds), so
 * the session's constructor does not change; {@link #attach} registers it, {@link #close} removes it.
 */
public final class BuildServices implements AutoCloseable {
    private static final Map<LocalStore, BuildServices> BY_STORE = new ConcurrentHashMap<>();

    final LocalStore store;
    final Spawner spawner;
    final ProcessMonitor monitor;
    final FileLocker locker;
    final OutputRegistrar registrar;
    final SharedGoals goals = new SharedGoals();
    final Path tmpDir;
    final Map<String, String> daemonEnvironment;
    final Consumer<String> log;
    final UserKiller killer;
    private volatile Optional<BuildUsers> buildUsers = Optional.empty();
    private volatile LoadRetry loadRetry = LoadRetry.off();
    /**
     * Deletes finished builds' directories. Platform threads: an rmdir of a directory that was a mount
     * point in a builder's namespace can wait in the kernel for milliseconds (the namespace's teardown),
     * and on a virtual thread that wait would hold one of the few carriers every build needs.
     */
    private final java.util.concurrent.ExecutorService cleaner = java.util.concurrent.Executors.newFixedThreadPool(2,
            Thread.ofPlatform().daemon().name("loomd-build-cleanup-", 0).factory());

    private BuildServices(LocalStore store, Spawner spawner, ProcessMonitor monitor, FileLocker locker,
            Map<String, String> env, Consumer<String> log) {
        this.store = store;
        this.spawner = spawner;
        this.monitor = monitor;
        this.locker = locker;
        this.registrar = new OutputRegistrar(store);
        this.daemonEnvironment = Map.copyOf(env);
        this.tmpDir = Path.of(env.getOrDefault("TMPDIR", "/tmp"));
        this.log = log;
        this.killer = new UserKiller(spawner);
    }

    /** Makes builds possible for the sessions of {@code store}. */
    public static BuildServices attach(LocalStore store, Spawner spawner, ProcessMonitor monitor,
            FileLocker locker, Map<String, String> env, Consumer<String> log) {
        BuildServices services = new BuildServices(store, spawner, monitor, locker, env, log);
        BY_STORE.put(store, services);
        return services;
    }

    /**
     * Builds run as members of {@code group} ({@code --build-users-group}, daemon.md §4.5) when it is
     * not empty and the daemon is root, as upstream decides; otherwise the guest ids of a user namespace.
     */
    public BuildServices useBuildUsers(String group) throws java.io.IOException {
        BuildIdentity.Guest self = BuildIdentity.Guest.ofThisProcess();
        buildUsers = group.isEmpty() || self.daemonUid() != 0 ? Optional.empty()
                : Optional.of(new BuildUsers(group, store.config().stateDir(), locker, UserDatabase.SYSTEM, self.daemonUid()));
        return this;
    }

    /** Retries a build that failed under load once with one core ({@link LoadRetry}); off until called. */
    public BuildServices retryUnderLoad(LoadRetry retry) {
        loadRetry = retry;
        return this;
    }

    LoadRetry loadRetry() {
        return loadRetry;
    }

    /** Runs {@code deletion} soon on a cleanup thread ({@link #cleaner}). */
    void cleanUpLater(Runnable deletion) {
        try {
            cleaner.execute(deletion);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            deletion.run(); // the daemon is stopping: delete on the build's thread
        }
    }

    Optional<BuildUsers> buildUsers() {
        return buildUsers;
    }

    /** The build services of {@code store}, if the daemon started them. */
    public static Optional<BuildServices> of(LocalStore store) {
        return Optional.ofNullable(BY_STORE.get(store));
    }

    /** A worker for one operation of one session. */
    public Worker worker(BuildOptions options, BuildEvents events) {
        return new Worker(this, options, events);
    }

    /** Cancels every running build and forgets the store. */
    @Override
    public void close() {
        BY_STORE.remove(store, this);
        goals.cancelAll();
        cleaner.shutdown();
    }
}
