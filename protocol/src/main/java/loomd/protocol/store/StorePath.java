package loomd.protocol.store;

import java.util.Objects;
import loomd.protocol.hash.NixBase32;

/**
 * A validated top-level store path {@code <dir>/<hashPart>-<name>}. {@link #toString()} gives
 * the full path. Stricter than {@link StoreDir#assertStorePath}: the hash part must be 32
 * nix-base32 characters and the name must pass {@link StoreNames#checkStoreName}.
 */
public record StorePath(StoreDir storeDir, String hashPart, String name) implements Comparable<StorePath> {
    public static final int HASH_PART_LENGTH = 32;
    /** A path component is at most 255 bytes: 32 + 1 + 222. */
    public static final int MAX_NAME_LENGTH = 222;

    public StorePath {
        Objects.requireNonNull(storeDir);
        Objects.requireNonNull(hashPart);
        Objects.requireNonNull(name);
    }

    /** Parses and validates; errors carry upstream-style texts. */
    public static StorePath parse(StoreDir storeDir, String path) throws BadStorePathException {
        storeDir.assertStorePath(path);
        String base = path.substring(storeDir.path().length() + 1);
        if (base.length() < HASH_PART_LENGTH + 2 || base.charAt(HASH_PART_LENGTH) != '-') {
            throw new BadStorePathException("path `" + path + "' is not a valid store path");
        }
        String hashPart = base.substring(0, HASH_PART_LENGTH);
        for (int i = 0; i < hashPart.length(); i++) {
            if (!NixBase32.isValidChar(hashPart.charAt(i))) {
                throw new BadStorePathException("path `" + path + "' has an invalid hash part");
            }
        }
        String name = base.substring(HASH_PART_LENGTH + 1);
        StoreNames.checkStoreName(name);
        if (name.length() > MAX_NAME_LENGTH) {
            throw new BadStorePathException("store path name `" + name + "' is longer than " + MAX_NAME_LENGTH + " characters");
        }
        return new StorePath(storeDir, hashPart, name);
    }

    /** {@code <hashPart>-<name>}, the file name inside the store directory. */
    public String baseName() {
        return hashPart + "-" + name;
    }

    @Override
    public String toString() {
        return storeDir.path() + "/" + baseName();
    }

    /** Byte order of the full path (all characters are ASCII). */
    @Override
    public int compareTo(StorePath other) {
        return toString().compareTo(other.toString());
    }
}
