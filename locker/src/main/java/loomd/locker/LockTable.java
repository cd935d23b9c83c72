package loomd.locker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import loomd.posix.Fds;

/**
 * The locker process's record of what it holds: every lock (its fd, owner, file identity, mode) and every
 * request still waiting. One monitor guards all of it; no native call runs while it is held.
 */
final class LockTable {
    record Entry(long lockId, long owner, int fd, String path, long device, long inode, LockMode mode) {
        Entry withMode(LockMode newMode) {
            return new Entry(lockId, owner, fd, path, device, inode, newMode);
        }
    }

    /** A request parked on a waiter thread. {@code cancelled} flips once, under the table's monitor. */
    static final class Waiter {
        final long requestId;
        final long owner;
        long device = -1;
        long inode = -1;
        boolean cancelled;

        Waiter(long requestId, long owner) {
            this.requestId = requestId;
            this.owner = owner;
        }
    }

    /** Which file an owner holds: the self-held check is a lookup, not a scan of the owner's locks. */
    private record FileKey(long owner, long device, long inode) {}

    private final Map<Long, Entry> locks = new HashMap<>();
    private final Map<FileKey, Long> lockIdByFile = new HashMap<>();
    private final Map<Long, Set<Long>> lockIdsByOwner = new HashMap<>();
    private final Map<Long, Waiter> waiters = new HashMap<>();
    private long nextLockId = 1;

    /**
     * True if the owner already holds or waits for this file (an OFD lock on a second description of it would
     * wait for the owner itself). Otherwise records the file as the waiter's target, if there is a waiter.
     */
    synchronized boolean selfHeld(long owner, Fds.FileStat file, Waiter self) {
        if (lockIdByFile.containsKey(new FileKey(owner, file.device(), file.inode()))) {
            return true;
        }
        for (Waiter w : waiters.values()) {
            if (w != self && w.owner == owner && w.device == file.device() && w.inode == file.inode()) {
                return true;
            }
        }
        if (self != null) {
            self.device = file.device();
            self.inode = file.inode();
        }
        return false;
    }

    /** Records a new lock; returns its id, or -1 if the waiter that took it was cancelled meanwhile. */
    synchronized long add(long owner, int fd, String path, Fds.FileStat file, LockMode mode, Waiter waiter) {
        if (waiter != null) {
            if (waiter.cancelled) {
                return -1;
            }
            waiters.remove(waiter.requestId);
        }
        long id = nextLockId++;
        locks.put(id, new Entry(id, owner, fd, path, file.device(), file.inode(), mode));
        lockIdByFile.put(new FileKey(owner, file.device(), file.inode()), id);
        lockIdsByOwner.computeIfAbsent(owner, o -> new LinkedHashSet<>()).add(id);
        return id;
    }

    synchronized Entry get(long lockId) {
        return locks.get(lockId);
    }

    /** Records a mode change; false if the lock is gone or the waiter was cancelled. */
    synchronized boolean changeMode(long lockId, LockMode mode, Waiter waiter) {
        if (waiter != null) {
            if (waiter.cancelled) {
                return false;
            }
            waiters.remove(waiter.requestId);
        }
        Entry e = locks.get(lockId);
        if (e == null) {
            return false;
        }
        locks.put(lockId, e.withMode(mode));
        return true;
    }

    synchronized Entry remove(long lockId) {
        Entry e = locks.remove(lockId);
        if (e != null) {
            lockIdByFile.remove(keyOf(e));
            Set<Long> ids = lockIdsByOwner.get(e.owner());
            ids.remove(lockId);
            if (ids.isEmpty()) {
                lockIdsByOwner.remove(e.owner());
            }
        }
        return e;
    }

    /** The locks taken from an owner, and the highest lock id handed out at that moment. */
    record Removed(List<Entry> entries, long lastLockId) {}

    synchronized Removed removeOwner(long owner) {
        Set<Long> ids = lockIdsByOwner.remove(owner);
        List<Entry> removed = new ArrayList<>();
        if (ids != null) {
            for (long id : ids) {
                Entry e = locks.remove(id);
                lockIdByFile.remove(keyOf(e));
                removed.add(e);
            }
        }
        return new Removed(removed, nextLockId - 1);
    }

    synchronized void addWaiter(Waiter waiter) {
        waiters.put(waiter.requestId, waiter);
    }

    /** Forgets a waiter whose thread has ended; true if it was cancelled (its request is already answered). */
    synchronized boolean finishWaiter(Waiter waiter) {
        waiters.remove(waiter.requestId, waiter);
        return waiter.cancelled;
    }

    /** Cancels one waiting request; null if it is not waiting (any more). */
    synchronized Waiter cancel(long requestId) {
        Waiter w = waiters.remove(requestId);
        if (w != null) {
            w.cancelled = true;
        }
        return w;
    }

    synchronized List<Waiter> cancelOwner(long owner) {
        List<Waiter> cancelled = new ArrayList<>();
        waiters.values().removeIf(w -> {
            if (w.owner == owner) {
                w.cancelled = true;
                cancelled.add(w);
                return true;
            }
            return false;
        });
        return cancelled;
    }

    synchronized boolean isCancelled(Waiter waiter) {
        return waiter.cancelled;
    }

    private static FileKey keyOf(Entry e) {
        return new FileKey(e.owner(), e.device(), e.inode());
    }

    synchronized int lockCount() {
        return locks.size();
    }

    synchronized int waiterCount() {
        return waiters.size();
    }

    synchronized int ownerCount() {
        return lockIdsByOwner.size();
    }
}
