package loomd.daemon.store;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;

/**
 * What the garbage collector needs from the store ({@code store.gc()}); the collector itself
 * (roots, marking, deleting under {@code gc.lock}) is later work and joins here. Thread-safe.
 */
public final class StoreGc {
    private static final System.Logger LOG = System.getLogger(StoreGc.class.getName());

    /** Upstream's {@code gc-reserved-space} default. */
    static final long RESERVED_SIZE = 8L << 20;

    private final StoreConfig config;
    private final StoreDatabase db;
    private final StoreReader reader;

    StoreGc(StoreConfig config, StoreDatabase db, StoreReader reader) {
        this.config = config;
        this.db = db;
        this.reader = reader;
    }

    /**
     * Forgets a valid path that nothing else refers to (upstream's {@code invalidatePathChecked});
     * its files are the caller's business. The path must be a strict store path.
     */
    public void invalidatePathChecked(String path) {
        StrictPaths.check(config.storeDir(), path);
        try {
            db.write(d -> StoreQueries.invalidateChecked(d, path));
        } finally {
            reader.forget(path);
        }
    }

    /**
     * Session start: {@code <db>/reserved} is (re)written to 8 MiB when the client asks to reserve
     * space (so that a collector can free it on a full disk), or deleted when it does not. Errors
     * are ignored, as upstream.
     */
    public void reserveSpace(boolean reserve) {
        Path reserved = config.dbDir().resolve("reserved");
        try {
            if (!reserve) {
                Files.deleteIfExists(reserved);
            } else if (!Files.exists(reserved) || Files.size(reserved) != RESERVED_SIZE) {
                byte[] chunk = new byte[1 << 20];
                Arrays.fill(chunk, (byte) 'X');
                try (var out = Files.newOutputStream(reserved)) {
                    for (long n = 0; n < RESERVED_SIZE; n += chunk.length) out.write(chunk);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "reserving space: " + e.getMessage());
        }
    }
}
