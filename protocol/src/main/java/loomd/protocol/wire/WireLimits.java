package loomd.protocol.wire;

/**
 * Upper bounds on what a length or count prefix may claim. A prefix above its bound fails with
 * {@link ProtocolException} before anything is allocated; a prefix within the bound still only
 * allocates as the bytes actually arrive (see {@link WireReader#readBytes}).
 *
 * @param maxPathLength bytes of a {@link LimitKind#PATH} field
 * @param maxStringLength bytes of a {@link LimitKind#STRING} field
 * @param maxBytesLength bytes of a {@link LimitKind#BYTES} field
 * @param maxListCount elements of a {@link LimitKind#LIST}
 * @param maxPairCount pairs of a {@link LimitKind#PAIRS} field
 */
public record WireLimits(int maxPathLength, int maxStringLength, int maxBytesLength, int maxListCount,
                         int maxPairCount) {

    /**
     * Defaults: paths 64 KiB (PATH_MAX is 4 KiB, so generous); strings 1 MiB (a substitute-URL
     * list or a long option value fits easily); bytes 256 MiB (text added to the store is held in
     * memory, the largest .drv files are a few MiB); lists 1 Mi elements (a full-store
     * {@code wopQueryValidPaths}); pairs 64 Ki (option overrides).
     */
    public static final WireLimits DEFAULT = new WireLimits(64 << 10, 1 << 20, 256 << 20, 1 << 20, 64 << 10);

    public WireLimits {
        if (maxPathLength < 0 || maxStringLength < 0 || maxBytesLength < 0 || maxListCount < 0 || maxPairCount < 0) {
            throw new IllegalArgumentException("wire limits must not be negative");
        }
    }

    /** The bound for one field kind. */
    public int max(LimitKind kind) {
        return switch (kind) {
            case PATH -> maxPathLength;
            case STRING -> maxStringLength;
            case BYTES -> maxBytesLength;
            case LIST -> maxListCount;
            case PAIRS -> maxPairCount;
        };
    }

    /** Throws unless {@code claimed} is within the bound for {@code kind}. */
    public int check(LimitKind kind, long claimed) throws ProtocolException {
        int max = max(kind);
        if (claimed > max) {
            throw new ProtocolException(kind.name().toLowerCase() + " field claims " + claimed
                    + (kind == LimitKind.LIST || kind == LimitKind.PAIRS ? " elements" : " bytes")
                    + ", above the limit of " + max);
        }
        return (int) claimed;
    }
}
