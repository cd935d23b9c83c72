package loomd.daemon.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import loomd.daemon.store.db.StoreDatabase;
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
 * @param readBusyLimit how long a read waits while another process keeps the database locked
 *        before it fails ("the store database … is locked by another process")
 * @param cacheTrust how long after the last check for other processes' commits the caches may
 *        answer (the db package: {@code PRAGMA data_version})
 * @param durability when adds reach the disk ({@code --durability}; the package documentation)
 */
public record StoreConfig(StoreDir storeDir, Optional<Path> physicalRoot, Path stateDir, Path dbDir, Path logDir,
                          Path configDir, List<String> authenticateCommand, boolean fsyncMetadata,
                          boolean useSqliteWal, int readConnections, long pathInfoCacheSize,
                          Duration readBusyLimit, Duration cacheTrust, Durability durability) {
    public StoreConfig {
        Objects.requireNonNull(storeDir);
        Objects.requireNonNull(physicalRoot);
        authenticateCommand = List.copyOf(authenticateCommand);
        if (readConnections < 1) throw new IllegalArgumentException("readConnections must be >= 1");
        Objects.requireNonNull(readBusyLimit);
        Objects.requireNonNull(cacheTrust);
        Objects.requireNonNull(durability);
    }

    /** With the database's default limits ({@link StoreDatabase.Settings#defaults}). */
    public StoreConfig(StoreDir storeDir, Optional<Path> physicalRoot, Path stateDir, Path dbDir, Path logDir,
                       Path configDir, List<String> authenticateCommand, boolean fsyncMetadata,
                       boolean useSqliteWal, int readConnections, long pathInfoCacheSize) {
        this(storeDir, physicalRoot, stateDir, dbDir, logDir, configDir, authenticateCommand, fsyncMetadata,
                useSqliteWal, readConnections, pathInfoCacheSize, StoreDatabase.Settings.READ_BUSY_LIMIT,
                StoreDatabase.Settings.CACHE_TRUST, Durability.DEFAULT);
    }

    /** Upstream's defaults for a state directory: db under it, logs next to it. */
    public static StoreConfig of(StoreDir storeDir, Optional<Path> physicalRoot, Path stateDir, Path configDir) {
        return new StoreConfig(storeDir, physicalRoot, stateDir, stateDir.resolve("db"),
                stateDir.resolveSibling("log").resolve("guix"), configDir, List.of(), true, true, 4, 100_000);
    }

    public StoreConfig withAuthenticateCommand(List<String> command) {
        return new StoreConfig(storeDir, physicalRoot, stateDir, dbDir, logDir, configDir, command,
                fsyncMetadata, useSqliteWal, readConnections, pathInfoCacheSize, readBusyLimit, cacheTrust, durability);
    }

    public StoreConfig withDatabaseLimits(Duration readBusyLimit, Duration cacheTrust) {
        return new StoreConfig(storeDir, physicalRoot, stateDir, dbDir, logDir, configDir, authenticateCommand,
                fsyncMetadata, useSqliteWal, readConnections, pathInfoCacheSize, readBusyLimit, cacheTrust, durability);
    }

    public StoreConfig withDurability(Durability d) {
        return new StoreConfig(storeDir, physicalRoot, stateDir, dbDir, logDir, configDir, authenticateCommand,
                fsyncMetadata, useSqliteWal, readConnections, pathInfoCacheSize, readBusyLimit, cacheTrust, d);
    }

    /** The settings the store opens its database with. */
    public StoreDatabase.Settings databaseSettings() {
        return new StoreDatabase.Settings(dbDir, fsyncMetadata, useSqliteWal, readConnections, readBusyLimit,
                cacheTrust);
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
