package loomd.protocol.store;

import java.util.Map;
import java.util.Objects;

/**
 * The logical store directory (formats.md §3.1): absolute, no trailing slash. Defaults to
 * {@code /gnu/store}; {@code NIX_STORE_DIR} overrides it.
 */
public record StoreDir(String path) {
    public static final String DEFAULT_PATH = "/gnu/store";
    public static final StoreDir DEFAULT = new StoreDir(DEFAULT_PATH);

    public StoreDir {
        Objects.requireNonNull(path);
        if (!path.startsWith("/") || path.length() < 2 || path.endsWith("/") || path.contains("//")) {
            throw new IllegalArgumentException("store directory must be absolute and canonical: `" + path + "'");
        }
    }

    /** {@code NIX_STORE_DIR} from the process environment, else the default. */
    public static StoreDir fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public static StoreDir fromEnvironment(Map<String, String> environment) {
        String value = environment.get("NIX_STORE_DIR");
        return value == null || value.isEmpty() ? DEFAULT : new StoreDir(value);
    }

    /** True if {@code p} lies inside the store (upstream {@code isInStore}). */
    public boolean isInStore(String p) {
        return p.startsWith(path) && p.length() >= path.length() + 2 && p.charAt(path.length()) == '/';
    }

    /** True if {@code p} is a top-level store entry (upstream {@code isStorePath}). */
    public boolean isStorePath(String p) {
        return isInStore(p) && p.indexOf('/', path.length() + 1) < 0;
    }

    /** Upstream's {@code assertStorePath} (protocol.md §7.1); returns {@code p}. */
    public String assertStorePath(String p) throws BadStorePathException {
        if (!isStorePath(p)) {
            throw notInStore(p);
        }
        return p;
    }

    /** Upstream's {@code toStorePath}: the top-level store entry containing {@code p}. */
    public String toStorePath(String p) throws BadStorePathException {
        if (!isInStore(p)) {
            throw notInStore(p);
        }
        int slash = p.indexOf('/', path.length() + 1);
        return slash < 0 ? p : p.substring(0, slash);
    }

    /** {@code storePathToName}: the part after {@code <dir>/<hash>-}; asserts a store path first. */
    public String storePathToName(String p) throws BadStorePathException {
        assertStorePath(p);
        int start = path.length() + 1 + StorePath.HASH_PART_LENGTH + 1;
        return p.length() >= start ? p.substring(start) : "";
    }

    /** The 32 characters after {@code <dir>/}, for a store path at least that long. */
    public String hashPartOf(String p) throws BadStorePathException {
        assertStorePath(p);
        int start = path.length() + 1;
        if (p.length() < start + StorePath.HASH_PART_LENGTH) {
            throw new BadStorePathException("path `" + p + "' has no hash part");
        }
        return p.substring(start, start + StorePath.HASH_PART_LENGTH);
    }

    private static BadStorePathException notInStore(String p) {
        return new BadStorePathException("path `" + p + "' is not in the store");
    }

    @Override
    public String toString() {
        return path;
    }
}
