package loomd.daemon.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import loomd.protocol.store.StoreDir;

/**
 * Where the store lives and how it behaves.
 *
 * @param storeDir logical store directory (e.g. {@code /gnu/store}): what paths look like
 * @param physicalRoot optional prefix: the files of logical path {@code P} live at {@code ROOT+P}
 *        (lets tests reproduce {@code /gnu/store} hashes inside a temp dir); empty for "none"
 * @param stateDir {@code V} (temproots, gcroots, profiles, gc.lock); a real (physical) directory
 * @param dbDir database directory ({@code V/db} by default)
 * @param logDir build logs
 * @param configDir {@code C} ({@code signing-key.sec})
 * @param authenticateCommand the {@code guix authenticate} command line (program, then args);
 *        empty means no helper is configured (signing and verification then fail)
 * @param fsyncMetadata upstream's {@code fsync-metadata}: synchronous=normal (else off)
 * @param useSqliteWal upstream's {@code use-sqlite-wal}
 * @param readConnections size of the read-connection pool
 * @param pathInfoCacheSize bound of the path-info cache (entries)
 */
public record StoreConfig(StoreDir storeDir, Optional<Path> physicalRoot, Path stateDir, Path dbDir, Path logDir,
                          Path configDir, List<String> authenticateCommand, boolean fsyncMetadata,
                          boolean useSqliteWal, int readConnections, long pathInfoCacheSize) {
    public StoreConfig {
        Objects.requireNonNull(storeDir);
        Objects.requireNonNull(physicalRoot);
        authenticateCommand = List.copyOf(authenticateCommand);
        if (readConnections < 1) throw new IllegalArgumentException("readConnections must be >= 1");
    }

    /** Upstream's defaults for a state directory: db under it, logs next to it. */
    public static StoreConfig of(StoreDir storeDir, Optional<Path> physicalRoot, Path stateDir, Path configDir) {
        return new StoreConfig(storeDir, physicalRoot, stateDir, stateDir.resolve("db"),
                stateDir.resolveSibling("log").resolve("guix"), configDir, List.of(), true, true, 4, 100_000);
    }

    public StoreConfig withAuthenticateCommand(List<String> command) {
        return new StoreConfig(storeDir, physicalRoot, stateDir, dbDir, logDir, configDir, command,
                fsyncMetadata, useSqliteWal, readConnections, pathInfoCacheSize);
    }

    /** The physical location of logical path {@code logical} (a store path or the store itself). */
    public Path physical(String logical) {
        return physicalRoot.map(root -> Path.of(root + logical)).orElseGet(() -> Path.of(logical));
    }

    /** The physical store directory. */
    public Path physicalStore() {
        return physical(storeDir.path());
    }
}
