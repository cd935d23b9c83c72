package loomd.daemon;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.StoreException;
import loomd.locker.LockerClient;
import loomd.protocol.store.StoreDir;

/**
 * Startup steps 2 and 3 (daemon.md §2.3 as loomd orders them): launch the locker process, which
 * holds every file lock for the daemon, and open the store over it meanwhile. The store owns the locker
 * client from then on: closing the store closes the locker after it.
 */
final class Backends {
    private Backends() { }

    /**
     * Starts the locker process on a platform thread of its own (the launch blocks in native calls),
     * while the store opens and the first clients are served; the store opened on it with
     * {@link #open} closes it. A failed start is logged here; requests needing a lock fail with it.
     */
    static CompletableFuture<LockerClient> launchLocker(Layout layout, Consumer<String> log) {
        CompletableFuture<LockerClient> result = new CompletableFuture<>();
        Thread.ofPlatform().name("locker-start").daemon(true).start(() -> {
            try {
                LockerClient locker = LockerClient.launch(layout.stateDir());
                log.accept("locker started (pid " + locker.lockerPid() + ")");
                result.complete(locker);
            } catch (IOException | RuntimeException | Error e) {
                log.accept("error: cannot start the locker: " + e.getMessage());
                result.completeExceptionally(new IOException("cannot start the locker: " + e.getMessage(), e));
            }
        });
        return result;
    }

    /** Opens the store on the {@code locker} being started, which it owns from now on (closed here on failure). */
    static LocalStore open(DaemonConfig config, Map<String, String> env, CompletableFuture<LockerClient> locker)
            throws IOException {
        Layout layout = config.layout();
        Settings settings = config.settings();
        StoreConfig storeConfig = new StoreConfig(new StoreDir(layout.storeDir()), Optional.ofNullable(layout.storeRoot()),
                layout.stateDir(), layout.dbDir(), layout.logDir(), layout.confDir(), authenticateCommand(env),
                settings.fsyncMetadata, settings.useSQLiteWAL, 4, 100_000).withDurability(config.durability());
        try {
            LocalStore store = LocalStore.openOwning(storeConfig, locker);
            store.maintenance().setAutoDeduplicate(settings.autoOptimiseStore);
            return store;
        } catch (StoreException e) {
            locker.thenAccept(LockerClient::close);
            throw new IOException(e.getMessage(), e);
        } catch (RuntimeException e) {
            locker.thenAccept(LockerClient::close);
            throw e;
        }
    }

    /**
     * {@code G authenticate}, where {@code G} is the {@code guix} program (daemon.md §1.1, see
     * {@link #guixProgram}); none: signing and signature checks fail with a clear error.
     */
    static List<String> authenticateCommand(Map<String, String> env) {
        return guixProgram(env).map(g -> List.of(g, "authenticate")).orElse(List.of());
    }

    /**
     * The {@code guix} program that runs every helper (daemon.md §1.1): env {@code GUIX}, else
     * {@code NIX_BIN_DIR/guix}, else {@code guix} on the PATH.
     */
    static Optional<String> guixProgram(Map<String, String> env) {
        return loomd.daemon.offload.HookCommand.guix(env);
    }
}
