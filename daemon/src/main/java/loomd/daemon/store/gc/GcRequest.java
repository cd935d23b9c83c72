package loomd.daemon.store.gc;

import java.util.List;

/**
 * One collection as {@code wopCollectGarbage} asks for it, with the settings that shape liveness.
 *
 * @param action what to do
 * @param paths the paths to delete ({@link Action#DELETE_SPECIFIC} only)
 * @param maxFreed a u64: stop deleting once more than this was freed or invalidated; 0 does nothing
 * @param keepOutputs {@code gc-keep-outputs}: a live derivation keeps its valid outputs
 * @param keepDerivations {@code gc-keep-derivations}: a live output keeps its deriver
 * @param autoDedup deduplication on: a top-level file linked once from {@code .links} still frees
 */
public record GcRequest(Action action, List<String> paths, long maxFreed, boolean keepOutputs,
                        boolean keepDerivations, boolean autoDedup) {
    public enum Action {
        RETURN_LIVE, RETURN_DEAD, DELETE_DEAD, DELETE_SPECIFIC;

        /** The wire's action number (0-3), or an error for another number. */
        public static Action of(long code) {
            if (code < 0 || code > 3) throw new IllegalArgumentException("unknown GC action " + code);
            return values()[(int) code];
        }

        boolean deletes() {
            return this == DELETE_DEAD || this == DELETE_SPECIFIC;
        }
    }

    public GcRequest {
        paths = List.copyOf(paths);
    }

    /** No limit: upstream's 2^64-1, and Guix's 2^63-1 (daemon.md §9.35: progress in MiB for both). */
    boolean unlimited() {
        return maxFreed == -1 || maxFreed == Long.MAX_VALUE;
    }
}
