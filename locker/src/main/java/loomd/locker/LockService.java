package loomd.locker;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import loomd.posix.Errno;
import loomd.posix.Fds;
import loomd.posix.OfdLocks;
import loomd.posix.PosixException;

/**
 * The locker's request handlers. {@link #handle} runs on the link's reader thread and never blocks on a
 * lock: a request that must wait moves to its own platform thread, which blocks in F_OFD_SETLKW.
 * Only the reader thread closes the fds of held locks (unlock, release-all), so it may use them freely;
 * waiter threads touch only fds they opened or duplicated themselves.
 */
final class LockService {
    private static final long WAITER_STACK = 256 * 1024;
    private static final byte[] DELETED_MARK = "d".getBytes(StandardCharsets.US_ASCII);

    private final LockTable table = new LockTable();
    private final Consumer<Wire.Reply> replies;

    LockService(Consumer<Wire.Reply> replies) {
        this.replies = replies;
    }

    /** {@code passedFd} is the fd that came with a LockFd request, -1 otherwise; this method owns it. */
    void handle(Wire.Request request, int passedFd) {
        try {
            switch (request) {
                case Wire.Request.LockPath r -> lockPath(r);
                case Wire.Request.LockFd r -> lockFd(r, passedFd);
                case Wire.Request.Relock r -> relock(r);
                case Wire.Request.Unlock r -> unlock(r);
                case Wire.Request.ReleaseAll r -> releaseAll(r);
                case Wire.Request.Cancel r -> cancel(r);
                case Wire.Request.Stats r -> replies.accept(new Wire.Reply.StatsReply(r.id(), table.lockCount(),
                        table.waiterCount(), table.ownerCount(), Fds.openFdCount()));
            }
        } catch (PosixException e) {
            replies.accept(new Wire.Reply.Failed(request.id(), e.errno(), e.getMessage()));
        } catch (RuntimeException e) {
            replies.accept(new Wire.Reply.Failed(request.id(), Errno.EIO, "locker: " + e));
        }
    }

    private void lockPath(Wire.Request.LockPath r) throws PosixException {
        Wire.Reply reply = lockPathLoop(r, null);
        if (reply != null) {
            replies.accept(reply);
            return;
        }
        LockTable.Waiter waiter = new LockTable.Waiter(r.id(), r.owner());
        table.addWaiter(waiter);
        startWaiter(r.id(), waiter, () -> lockPathLoop(r, waiter));
    }

    /**
     * Upstream's open-lock-check loop. Without a waiter it never blocks and returns null when the request
     * must wait; with one it blocks and returns null only if the request was cancelled meanwhile.
     */
    private Wire.Reply lockPathLoop(Wire.Request.LockPath r, LockTable.Waiter waiter) throws PosixException {
        boolean create = (r.flags() & Wire.FLAG_NO_CREATE) == 0;
        boolean staleCheck = (r.flags() & Wire.FLAG_REOPEN_IF_STALE) != 0;
        while (true) {
            int fd = Fds.open(r.path(), Fds.O_RDWR | Fds.O_CLOEXEC | (create ? Fds.O_CREAT : 0), 0600);
            boolean kept = false;
            try {
                Fds.FileStat file = Fds.fstat(fd);
                if (table.selfHeld(r.owner(), file, waiter)) {
                    return selfHeld(r.id(), r.path());
                }
                if (!OfdLocks.tryLock(fd, r.mode().kind())) {
                    if (r.waiting() == Wait.TRY) {
                        return busy(r.id(), fd, r.mode());
                    }
                    if (waiter == null) {
                        return null;
                    }
                    OfdLocks.lockWait(fd, r.mode().kind());
                }
                file = Fds.fstat(fd);
                if (staleCheck && file.size() != 0) {
                    continue;
                }
                long lockId = table.add(r.owner(), fd, r.path(), file, r.mode(), waiter);
                if (lockId < 0) {
                    return null;
                }
                kept = true;
                return new Wire.Reply.Locked(r.id(), lockId, file.size());
            } finally {
                if (!kept) {
                    Fds.closeQuietly(fd);
                }
            }
        }
    }

    private void lockFd(Wire.Request.LockFd r, int fd) throws PosixException {
        boolean handedOver = false;
        try {
            Fds.FileStat file = Fds.fstat(fd);
            if (table.selfHeld(r.owner(), file, null)) {
                replies.accept(selfHeld(r.id(), "fd"));
                return;
            }
            if (OfdLocks.tryLock(fd, r.mode().kind())) {
                long lockId = table.add(r.owner(), fd, null, file, r.mode(), null);
                handedOver = true;
                replies.accept(new Wire.Reply.Locked(r.id(), lockId, file.size()));
                return;
            }
            if (r.waiting() == Wait.TRY) {
                replies.accept(busy(r.id(), fd, r.mode()));
                return;
            }
            LockTable.Waiter waiter = new LockTable.Waiter(r.id(), r.owner());
            table.selfHeld(r.owner(), file, waiter);
            table.addWaiter(waiter);
            handedOver = true;
            startWaiter(r.id(), waiter, () -> {
                boolean kept = false;
                try {
                    OfdLocks.lockWait(fd, r.mode().kind());
                    long size = Fds.fstat(fd).size();
                    long lockId = table.add(r.owner(), fd, null, file, r.mode(), waiter);
                    kept = lockId >= 0;
                    return kept ? new Wire.Reply.Locked(r.id(), lockId, size) : null;
                } finally {
                    if (!kept) {
                        Fds.closeQuietly(fd);
                    }
                }
            });
        } finally {
            if (!handedOver) {
                Fds.closeQuietly(fd);
            }
        }
    }

    private void relock(Wire.Request.Relock r) throws PosixException {
        LockTable.Entry entry = table.get(r.lockId());
        if (entry == null) {
            replies.accept(new Wire.Reply.Failed(r.id(), Errno.EBADF, "no lock " + r.lockId() + " in the locker"));
            return;
        }
        if (OfdLocks.tryLock(entry.fd(), r.mode().kind())) {
            table.changeMode(r.lockId(), r.mode(), null);
            replies.accept(new Wire.Reply.Locked(r.id(), r.lockId(), Fds.fstat(entry.fd()).size()));
            return;
        }
        if (r.waiting() == Wait.TRY) {
            replies.accept(busy(r.id(), entry.fd(), r.mode()));
            return;
        }
        // The waiter converts the lock through its own fd to the same description: if the lock is
        // released meanwhile, the entry's fd number may be closed and reused, but the duplicate stays valid.
        int copy = Fds.dup(entry.fd());
        LockTable.Waiter waiter = new LockTable.Waiter(r.id(), entry.owner());
        table.addWaiter(waiter);
        startWaiter(r.id(), waiter, () -> {
            try {
                OfdLocks.lockWait(copy, r.mode().kind());
                if (table.changeMode(r.lockId(), r.mode(), waiter)) {
                    return new Wire.Reply.Locked(r.id(), r.lockId(), Fds.fstat(copy).size());
                }
                if (!table.isCancelled(waiter)) {
                    return new Wire.Reply.Failed(r.id(), Errno.EBADF, "lock " + r.lockId() + " was released while waiting");
                }
                LockTable.Entry still = table.get(r.lockId());
                if (still != null) {
                    OfdLocks.tryLock(copy, still.mode().kind());
                }
                return null;
            } finally {
                Fds.closeQuietly(copy);
            }
        });
    }

    private void unlock(Wire.Request.Unlock r) {
        LockTable.Entry entry = table.remove(r.lockId());
        if (entry == null) {
            replies.accept(new Wire.Reply.Done(r.id(), 0));
            return;
        }
        release(entry, r.delete());
        replies.accept(new Wire.Reply.Done(r.id(), 1));
    }

    private void releaseAll(Wire.Request.ReleaseAll r) {
        for (LockTable.Waiter w : table.cancelOwner(r.owner())) {
            replies.accept(new Wire.Reply.Cancelled(w.requestId));
        }
        LockTable.Removed removed = table.removeOwner(r.owner());
        for (LockTable.Entry entry : removed.entries()) {
            release(entry, false);
        }
        replies.accept(new Wire.Reply.Released(r.id(), removed.entries().size(), removed.lastLockId()));
    }

    private void cancel(Wire.Request.Cancel r) {
        LockTable.Waiter w = table.cancel(r.target());
        if (w != null) {
            replies.accept(new Wire.Reply.Cancelled(w.requestId));
        }
        replies.accept(new Wire.Reply.Done(r.id(), w == null ? 0 : 1));
    }

    /** Upstream's deletion: unlink first, then mark the file stale for anyone who opened it before, then close. */
    private static void release(LockTable.Entry entry, boolean delete) {
        if (delete && entry.path() != null) {
            try {
                Fds.unlink(entry.path());
            } catch (PosixException ignored) {
                // removing the lock file is an optimisation; the "d" mark is what matters
            }
            try {
                Fds.writeFully(entry.fd(), DELETED_MARK);
            } catch (PosixException e) {
                System.err.println("loomd-locker: cannot mark " + entry.path() + " stale: " + e.getMessage());
            }
        }
        try {
            // Explicit, because a relock waiter's duplicate may keep the description (and its lock) open.
            OfdLocks.unlock(entry.fd());
        } catch (PosixException e) {
            System.err.println("loomd-locker: unlock of " + entry.path() + ": " + e.getMessage());
        }
        Fds.closeQuietly(entry.fd());
    }

    private interface Blocking {
        Wire.Reply run() throws PosixException;
    }

    private void startWaiter(long requestId, LockTable.Waiter waiter, Blocking body) {
        Thread.ofPlatform().name("locker-wait-" + requestId).daemon(true).stackSize(WAITER_STACK).start(() -> {
            Wire.Reply reply;
            try {
                reply = body.run();
            } catch (PosixException e) {
                reply = new Wire.Reply.Failed(requestId, e.errno(), e.getMessage());
            } catch (RuntimeException e) {
                reply = new Wire.Reply.Failed(requestId, Errno.EIO, "locker: " + e);
            }
            boolean cancelled = table.finishWaiter(waiter);
            if (reply != null && !cancelled) {
                replies.accept(reply);
            }
        });
    }

    private static Wire.Reply busy(long requestId, int fd, LockMode mode) {
        int holder = 0;
        try {
            holder = OfdLocks.query(fd, mode.kind()).map(OfdLocks.Holder::pid).orElse(0);
        } catch (PosixException ignored) {
            // the holder is a hint only
        }
        return new Wire.Reply.Busy(requestId, holder);
    }

    private static Wire.Reply selfHeld(long requestId, String what) {
        return new Wire.Reply.Failed(requestId, Errno.EDEADLK,
                "deadlock: trying to re-acquire self-held lock `" + what + "'");
    }
}
