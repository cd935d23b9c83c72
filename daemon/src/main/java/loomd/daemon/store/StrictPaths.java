package loomd.daemon.store;

import loomd.protocol.store.BadStorePathException;
import loomd.protocol.store.StoreDir;
import loomd.protocol.store.StorePath;

/**
 * The check every store entry point runs on a path from outside before it creates, deletes, locks or
 * roots anything by that name ({@link StorePath#parseStrict}): an imported item, a temp root, a
 * registration, an invalidation. Queries do not use it (upstream answers them for any path in the store).
 */
final class StrictPaths {
    private StrictPaths() {}

    /** {@code path} itself if it is exactly {@code <store>/<hash>-<name>}; else a StoreException saying why. */
    static String check(StoreDir storeDir, String path) {
        try {
            return StorePath.parseStrict(storeDir, path).toString();
        } catch (BadStorePathException e) {
            throw new StoreException(e.getMessage());
        }
    }
}
