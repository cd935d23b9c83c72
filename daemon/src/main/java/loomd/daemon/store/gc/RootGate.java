package loomd.daemon.store.gc;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion, per path, between a session adding a temp root and the collector deleting that
 * path (package documentation: "Why a root added during a collection is safe"). Paths hash to one
 * of {@link #STRIPES} mutexes; a session holds one while it writes a root, the collector holds a
 * deletion chunk's stripes (taken in ascending order) from its temp-roots refresh until its paths
 * are invalidated and moved away. Uncontended when no collection runs.
 */
public final class RootGate {
    static final int STRIPES = 1024;

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    public RootGate() {
        for (int i = 0; i < STRIPES; i++) stripes[i] = new ReentrantLock();
    }

    /** Runs {@code write} (adding {@code path} as a temp root) under the path's stripe. */
    public void rooting(String path, Runnable write) {
        ReentrantLock lock = stripes[stripe(path)];
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
        private final boolean[] held;

        private Held(boolean[] held) {
            this.held = held;
        }

        boolean has(int stripe) {
            return held[stripe];
        }

        void release() {
            for (int i = 0; i < STRIPES; i++) {
                if (held[i]) stripes[i].unlock();
            }
        }
    }

    /**
     * Takes as many of the {@code wanted} stripes as can be had within {@link #PATIENCE_MS} each
     * (in ascending order); a path whose stripe is not held must be kept. The collector never
     * waits longer: a session may hold a stripe while its first root waits for gc.lock, which the
     * collector holds. Reentrant: the collector may hold two chunks' stripes at once.
     */
    Held acquire(boolean[] wanted) {
        boolean[] held = new boolean[STRIPES];
        for (int i = 0; i < STRIPES; i++) {
            if (wanted[i]) held[i] = tryLock(stripes[i]);
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
