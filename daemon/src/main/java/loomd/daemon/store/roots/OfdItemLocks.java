package loomd.daemon.store.roots;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;

import loomd.locker.PathLocks;
import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.posix.PosixException;

/**
 * The uncontended case of item locks ({@code <path>.lock}), taken in this JVM without a round trip
 * to the locker: each lock file is opened here and locked with a non-blocking OFD lock
 * ({@code F_OFD_SETLK}, never {@code SETLKW}), with upstream's stale-file check. If any lock of a
 * set is busy (or anything fails) every lock this call took is dropped at once and the caller goes
 * to the locker, which does the waiting off the virtual threads; never holding a lock here while
 * waiting for another keeps the sorted-order rule trivially. Why this keeps the locker's guarantees,
 * and the descriptor rule it relies on, is in the store package's lock table ("item locks").
 *
 * <p>Descriptor rule: each lock's descriptor is opened by {@link #tryLock}, owned by the returned
 * {@link Held} alone, never duplicated or passed on, opened with {@code O_CLOEXEC}, and closed only
 * by {@link Held#close}, after the unlock. An OFD lock lives as long as its open file description,
 * so no other close in this process can drop it, and two holders in this process exclude each other
 * like two processes. At most {@link #DESCRIPTOR_BUDGET} such descriptors are open at once and at
 * most {@link #MAX_SET} per set; beyond that the locker holds the locks, as before.
 *
 * <p>Threads: any; {@link #tryLock} makes only non-blocking system calls (open, fcntl, fstat) and is
 * fine on a virtual thread.
 */
final class OfdItemLocks {
    private static final System.Logger LOG = System.getLogger(OfdItemLocks.class.getName());
    /** Most item-lock descriptors this JVM holds at once (the rest wait in the locker). */
    static final int DESCRIPTOR_BUDGET = 1024;
    /** Largest set taken here; a larger one (an import batch) goes to the locker in one exchange. */
    static final int MAX_SET = 64;
    /** Stale files (deleted by their holder) reopened before leaving the case to the locker. */
    private static final int STALE_REOPENS = 8;
    private static final byte[] STALE_MARK = "d".getBytes(StandardCharsets.US_ASCII);

    private final Semaphore budget = new Semaphore(DESCRIPTOR_BUDGET);

    /** One taken lock: its lock file and the descriptor that holds it. */
    private record Lock(Path file, int fd) {}

    /**
     * Takes every lock of {@code storePaths} here, in the locker's order, or none: empty when one is
     * busy, stale too often, over budget or failing, with nothing held.
     */
    Optional<Held> tryLock(List<Path> storePaths) {
        List<Path> sorted = PathLocks.inLockOrder(storePaths);
        if (sorted.size() > MAX_SET || !budget.tryAcquire(sorted.size())) return Optional.empty();
        List<Lock> taken = new ArrayList<>(sorted.size());
        try {
            for (Path p : sorted) {
                Lock lock = tryOne(PathLocks.lockFileOf(p));
                if (lock == null) break;
                taken.add(lock);
            }
        } catch (PosixException e) {
            // The locker will report the error in upstream's words (or wait it out).
            LOG.log(Level.DEBUG, "in-process item lock: " + e.getMessage());
        }
        if (taken.size() == sorted.size()) return Optional.of(new Held(taken));
        release(taken, false);
        budget.release(sorted.size());
        return Optional.empty();
    }

    /** Upstream's open-lock-check loop without the wait: null when busy or stale every time. */
    private static Lock tryOne(Path lockFile) throws PosixException {
        for (int attempt = 0; attempt < STALE_REOPENS; attempt++) {
            int fd = Fds.open(lockFile.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_CLOEXEC, 0600);
            boolean ok = false;
            try {
                if (!OfdLocks.tryLock(fd, LockKind.WRITE)) return null;
                // A non-empty file was deleted by a holder once its path became valid: open the name again.
                if (Fds.fstat(fd).size() != 0) continue;
                ok = true;
                return new Lock(lockFile, fd);
            } finally {
                if (!ok) Fds.closeQuietly(fd);
            }
        }
        return null;
    }

    /**
     * Upstream's release: with deletion, unlink first, then the stale mark for whoever opened the
     * file before, then unlock and close. Failures are logged: the close drops the lock regardless.
     */
    private static void release(List<Lock> locks, boolean delete) {
        for (Lock l : locks) {
            try {
                if (delete) {
                    unlinkQuietly(l.file());
                    Fds.writeFully(l.fd(), STALE_MARK);
                }
                OfdLocks.unlock(l.fd());
            } catch (PosixException e) {
                LOG.log(Level.DEBUG, "releasing " + l.file() + ": " + e.getMessage());
            } finally {
                Fds.closeQuietly(l.fd());
            }
        }
    }

    /** Removing the file is an optimisation (the stale mark is what counts), so a failure is ignored. */
    private static void unlinkQuietly(Path file) {
        try {
            Fds.unlink(file.toString());
        } catch (PosixException e) {
            LOG.log(Level.DEBUG, "removing " + file + ": " + e.getMessage());
        }
    }

    /** A set of item locks held in this JVM; never lost (no helper process holds them). */
    final class Held implements FileLocker.PathLock {
        private final List<Lock> locks;
        private boolean deletion;
        private boolean closed;

        private Held(List<Lock> locks) {
            this.locks = locks;
        }

        @Override
        public void checkHeld() {
            // Held by this process's own descriptors: only closing them drops the locks.
        }

        @Override
        public void setDeletion(boolean delete) {
            deletion = delete;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            release(locks, deletion);
            budget.release(locks.size());
        }
    }
}
