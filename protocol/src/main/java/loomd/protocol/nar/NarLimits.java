package loomd.protocol.nar;

/**
 * Bounds the NAR parser and writer enforce. Claimed lengths are compared against these before
 * anything is allocated; file contents are never buffered whole, so they have no bound besides
 * {@code maxFileSize}.
 *
 * @param maxDepth directories nested inside the root (the root itself is depth 0)
 * @param maxNameLength bytes of one entry name (NAME_MAX on Linux is 255)
 * @param maxTargetLength bytes of a symlink target (PATH_MAX on Linux is 4096)
 * @param maxFileSize bytes of one regular file's contents
 * @param maxEntries entries in the whole archive (nodes, the root included)
 */
public record NarLimits(int maxDepth, int maxNameLength, int maxTargetLength, long maxFileSize, long maxEntries) {

    /** Depth 1024, names 255, targets 4095, files up to 2^62, 100 million entries. */
    public static final NarLimits DEFAULT = new NarLimits(1024, 255, 4095, 1L << 62, 100_000_000L);

    public NarLimits {
        if (maxDepth < 0 || maxNameLength < 1 || maxTargetLength < 1 || maxFileSize < 0 || maxEntries < 1) {
            throw new IllegalArgumentException("invalid NAR limits");
        }
    }

    public NarLimits withMaxDepth(int depth) {
        return new NarLimits(depth, maxNameLength, maxTargetLength, maxFileSize, maxEntries);
    }
}
