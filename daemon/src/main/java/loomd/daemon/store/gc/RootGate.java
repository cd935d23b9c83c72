package loomd.daemon.store.gc;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion, per path, between a session adding a temp root and the collector deleting that
 * path (package documentation: "Why a root added during a collection is safe"). Paths hash to one
 * of {@link #STRIPES} mutexes; a session holds one while it writes a root, the collector holds a
 * deletion chunk's stripes (taken in ascending order) from its temp-roots refresh until its paths
 * are invalidated and moved away. Uncontended when no collection runs.
 */
public final class RootGate {
    /**
     * Many: a session rooting a new path waits when its stripe merely collides with one of the
     * (at most two) chunks the collector holds, so collisions must be rare (2 x 64 of 65,536).
     */
    static final int STRIPES = 65_536;

    /** Created on first use: most stripes of an idle daemon are never touched. */
    private final AtomicReferenceArray<ReentrantLock> stripes = new AtomicReferenceArray<>(STRIPES);

    public RootGate() {}

    private ReentrantLock stripeLock(int i) {
        ReentrantLock lock = stripes.get(i);
        if (lock != null) return lock;
        ReentrantLock fresh = new ReentrantLock();
        ReentrantLock raced = stripes.compareAndExchange(i, null, fresh);
        return raced == null ? fresh : raced;
    }

    /** Runs {@code write} (adding {@code path} as a temp root) under the path's stripe. */
    public void rooting(String path, Runnable write) {
        ReentrantLock lock = stripeLock(stripe(path));
        lock.lock();
        try {
            write.run();
        } finally {
            lock.unlock();
        }
    }

    static int stripe(String path) {
        int h = path.hashCode();
        return (h ^ (h >>> 16)) & (STRIPES - 1);
    }

    /** Stripes held by the thread that took them; {@link #release} from that same thread. */
    final class Held {
        private final BitSet held;

        private Held(BitSet held) {
            this.held = held;
        }

        boolean has(int stripe) {
            return held.get(stripe);
        }

        void release() {
            for (int i = held.nextSetBit(0); i >= 0; i = held.nextSetBit(i + 1)) stripes.get(i).unlock();
        }
    }

    /**
     * Takes as many of the {@code wanted} stripes as can be had within {@link #PATIENCE_MS} each
     * (in ascending order); a path whose stripe is not held must be kept. The collector never
     * waits longer: a session may hold a stripe while its first root waits for gc.lock, which the
     * collector holds. Reentrant: the collector may hold two chunks' stripes at once.
     */
    Held acquire(BitSet wanted) {
        BitSet held = new BitSet(STRIPES);
        for (int i = wanted.nextSetBit(0); i >= 0; i = wanted.nextSetBit(i + 1)) {
            if (tryLock(stripeLock(i))) held.set(i);
        }
        return new Held(held);
    }

    static final long PATIENCE_MS = 20;

    private static boolean tryLock(ReentrantLock lock) {
        try {
            return lock.tryLock(PATIENCE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
