package loomd.daemon.store.gc;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

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

    /** Runs {@code work} with the given stripes held ({@code marked} is a set of stripe indices). */
    <T> T holding(boolean[] marked, Supplier<T> work) {
        int taken = 0;
        try {
            for (; taken < STRIPES; taken++) {
                if (marked[taken]) stripes[taken].lock();
            }
            return work.get();
        } finally {
            for (int i = 0; i < taken; i++) {
                if (marked[i]) stripes[i].unlock();
            }
        }
    }
}
