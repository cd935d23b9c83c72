package loomd.daemon.store.gc;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Where the collector gets temp roots from: every session's, in this process and in others. The
 * collector opens one {@link Snapshot} per collection while it holds {@code gc.lock} exclusively,
 * and closes it after the deletion phase.
 */
public interface TempRootSource {
    /**
     * Reads every temp root now. What keeps other processes' roots stable until {@link
     * Snapshot#close} is the implementation's business (files: their shared locks).
     *
     * @param info upstream's info messages ({@code removing stale temporary roots file `%1%'})
     */
    Snapshot open(Consumer<String> info);

    /** The temp roots of one collection. Used by the collector's thread only. */
    interface Snapshot extends AutoCloseable {
        /** Every temp root known so far (the roots at open, plus any found by {@link #refresh}). */
        Set<String> roots();

        /**
         * Brings {@link #roots} up to date with roots added since: called right before each deletion
         * chunk, with the chunk's {@link RootGate} stripes held, so a root added through the gate is
         * either seen here or added after the chunk's paths are gone.
         */
        void refresh();

        @Override
        void close();
    }
}
