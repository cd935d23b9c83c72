package loomd.daemon;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.StoreException;
import loomd.locker.LockerClient;
import loomd.protocol.store.StoreDir;

/**
 * Startup steps 2 and 3 (daemon.md §2.3 as loomd orders them): launch the locker process, which
 * holds every file lock for the daemon, then open the store over it. The store owns the locker
 * client from then on: closing the store closes the locker after it.
 */
final class Backends {
    private Backends() { }

    /** Starts the locker process; the store opened on it with {@link #open} closes it. */
    static LockerClient launchLocker(Layout layout, Consumer<String> log) throws IOException {
        LockerClient locker = LockerClient.launch(layout.stateDir());
        log.accept("locker started (pid " + locker.lockerPid() + ")");
        return locker;
    }

    /** Opens the store on {@code locker}, which it owns from now on (closed here on failure). */
    static LocalStore open(DaemonConfig config, Map<String, String> env, LockerClient locker) throws IOException {
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
            locker.close();
            throw new IOException(e.getMessage(), e);
        } catch (RuntimeException e) {
            locker.close();
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
