package loomd.protocol.store;

import java.util.Objects;
import loomd.protocol.hash.NixBase32;

/**
 * A validated top-level store path {@code <dir>/<hashPart>-<name>}. {@link #toString()} gives
 * the full path. Stricter than {@link StoreDir#assertStorePath}, which is what queries use (upstream
 * answers "not valid" for {@code <dir>/eeee…-foobar} and "not in the store" only outside the store):
 * {@link #parseStrict} is for paths from outside that the store will create, delete or root.
 */
public record StorePath(StoreDir storeDir, String hashPart, String name) implements Comparable<StorePath> {
    public static final int HASH_PART_LENGTH = 32;
    /**
     * Longest name a path from outside may have (as Nix's store paths): short enough that the item's
     * {@code .lock} file and the daemon's temporary siblings still fit in a 255-byte file name.
     */
    public static final int MAX_NAME_LENGTH = 211;

    public StorePath {
        Objects.requireNonNull(storeDir);
        Objects.requireNonNull(hashPart);
        Objects.requireNonNull(name);
    }

    /**
     * Exactly {@code <storeDir>/<32 nix-base32 chars>-<name>}, the name passing
     * {@link StoreNames#checkStoreName} (so no {@code .}-prefix, no {@code /}, space or newline) and at
     * most {@link #MAX_NAME_LENGTH} characters; nothing else ({@code <dir>/..}, {@code <dir>/.links},
     * {@code <dir>/trash} all fail). Every message names the path.
     */
    public static StorePath parseStrict(StoreDir storeDir, String path) throws BadStorePathException {
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
        try {
            StoreNames.checkStoreName(name);
        } catch (BadStorePathException e) {
            throw new BadStorePathException("path `" + path + "' has an invalid name: " + e.getMessage());
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new BadStorePathException("path `" + path + "' has a name longer than " + MAX_NAME_LENGTH
                    + " characters");
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
