package loomd.protocol.drv;

/**
 * Bounds for {@link ATermParser}: the whole text, one string, and the number of entries in one
 * list. The grammar has a fixed nesting depth (at most three), so depth needs no bound: the parser
 * is not recursive.
 */
public record DerivationLimits(int maxTextBytes, int maxStringBytes, int maxListEntries) {
    /** Large enough for any real Guix .drv (the biggest are a few MiB). */
    public static final DerivationLimits DEFAULT = new DerivationLimits(64 << 20, 64 << 20, 1_000_000);

    public DerivationLimits {
        if (maxTextBytes <= 0 || maxStringBytes <= 0 || maxListEntries <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
