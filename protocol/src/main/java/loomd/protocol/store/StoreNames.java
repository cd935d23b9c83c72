package loomd.protocol.store;

/** Store-name validation (formats.md §3.2) with upstream's error texts. */
public final class StoreNames {
    private static final String EXTRA_CHARS = "+-._?=";

    private StoreNames() {
    }

    /**
     * Upstream's {@code checkStoreName}, plus a rejection of the empty name (recommended by the
     * spec; upstream would build a path ending in {@code -}).
     */
    public static void checkStoreName(String name) throws BadStorePathException {
        if (name.isEmpty()) {
            throw new BadStorePathException("invalid name: `' (empty)");
        }
        if (name.charAt(0) == '.') {
            throw new BadStorePathException("invalid name: `" + name + "' (can't begin with dot)");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isValidChar(c)) {
                int cp = name.codePointAt(i);
                throw new BadStorePathException("invalid character `" + Character.toString(cp) + "' in name `" + name + "'");
            }
        }
    }

    public static boolean isValidChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || EXTRA_CHARS.indexOf(c) >= 0;
    }
}
