package loomd.locker;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who a lock belongs to: a session, a build, the collector. Ending it ({@link LockerClient#releaseAll})
 * releases exactly its locks. Made by {@link LockerClient#newOwner}; safe to use from any thread.
 */
public final class LockOwner {
    private final long id;
    private final String description;
    /** The locks this owner holds, by locker lock id, as the client last heard from the locker. */
    final ConcurrentHashMap<Long, PathLock.Held> held = new ConcurrentHashMap<>();
    private final CompletableFuture<LockerUnavailableException> lost = new CompletableFuture<>();
    /** The last release-all as the locker saw it: locker generation and highest lock id it covered. */
    private int releasedGeneration;
    private long releasedUpTo;

    LockOwner(long id, String description) {
        this.id = id;
        this.description = description;
    }

    public long id() {
        return id;
    }

    public String description() {
        return description;
    }

    /** Upstream's "locked by me": whether this owner holds a lock on exactly this file. */
    public boolean holds(Path file) {
        Optional<Path> wanted = Optional.of(file);
        return held.values().stream().anyMatch(h -> h.file().equals(wanted));
    }

    public List<PathLock.Held> heldLocks() {
        return List.copyOf(held.values());
    }

    /**
     * Completes (with the cause) when the locker process died while this owner held locks: those locks are
     * gone and another process may have taken them, so the operation they protected must be failed.
     */
    public CompletableFuture<LockerUnavailableException> whenLost() {
        return lost.copy();
    }

    public boolean isLost() {
        return lost.isDone();
    }

    /** Records a release-all answer: forgets the locks it covered. */
    synchronized void released(int generation, long lastLockId) {
        releasedGeneration = generation;
        releasedUpTo = lastLockId;
        held.values().removeIf(h -> h.generation() < generation
                || (h.generation() == generation && h.id() <= lastLockId));
    }

    /** Records a granted lock; false if a release-all the locker handled after granting it already dropped it. */
    synchronized boolean granted(PathLock.Held lock) {
        if (lock.generation() == releasedGeneration && lock.id() <= releasedUpTo) {
            return false;
        }
        held.put(lock.id(), lock);
        return true;
    }

    void markLost(int generation, LockerUnavailableException cause) {
        boolean any = held.values().removeIf(h -> h.generation() == generation);
        if (any) {
            lost.complete(cause);
        }
    }

    @Override
    public String toString() {
        return "LockOwner[" + id + " " + description + "]";
    }
}
