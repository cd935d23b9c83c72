package loomd.test.stress;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Lets the campaign stop the clients between operations, so the invariant checker reads a quiet
 * store: clients hold the shared side for one operation, the campaign takes the exclusive side
 * (fair, so waiting clients do not starve it).
 */
final class PauseGate {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);

    /** False when the campaign holds the gate; the client then tries again later. */
    boolean enter() {
        try {
            return lock.readLock().tryLock(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void exit() {
        lock.readLock().unlock();
    }

    /** Waits for every running operation to end; false when one is still running after {@code patience}. */
    boolean pause(Duration patience) throws InterruptedException {
        return lock.writeLock().tryLock(patience.toMillis(), TimeUnit.MILLISECONDS);
    }

    void resume() {
        lock.writeLock().unlock();
    }
}
