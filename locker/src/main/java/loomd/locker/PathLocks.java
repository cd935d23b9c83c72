package loomd.locker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import loomd.posix.Errno;

/**
 * Upstream's {@code PathLocks}: exclusive locks on {@code <path>.lock} for a set of store paths, taken in
 * sorted (byte) order so that two sets never deadlock, each checked for staleness (a non-empty lock file was
 * deleted by its holder: reopen), and, once the paths are registered, released with deletion ("d" written
 * into the unlinked file). The calls block the calling thread until the locker answers: call them from
 * virtual threads (they park) or platform threads, never from the link's own threads.
 */
public final class PathLocks implements AutoCloseable {
    private final LockerClient client;
    private final List<PathLock.Held> locks;
    private final List<Path> paths;
    private volatile boolean deleteOnRelease;

    private PathLocks(LockerClient client, List<PathLock.Held> locks, List<Path> paths) {
        this.client = client;
        this.locks = locks;
        this.paths = paths;
    }

    /** The lock file upstream uses for a store path. */
    public static Path lockFileOf(Path path) {
        return Path.of(path + ".lock");
    }

    /** {@code paths} without repeats, in the order their locks are taken: sorted by their bytes, as upstream. */
    public static List<Path> inLockOrder(Collection<Path> paths) {
        List<Path> sorted = new ArrayList<>(paths.stream().distinct().toList());
        sorted.sort((a, b) -> Arrays.compareUnsigned(bytes(a), bytes(b)));
        return sorted;
    }

    /** Upstream's {@code pathIsLockedByMe}, where "me" is the owner (a session), not the process. */
    public static boolean isLockedBy(LockOwner owner, Path path) {
        return owner.holds(lockFileOf(path));
    }

    /**
     * Locks every path. With {@link Wait#TRY}, returns empty as soon as one is busy, after releasing the ones
     * this call took. With {@link Wait#WAIT}, calls {@code onWait} (upstream prints its wait message there)
     * before blocking on a busy path.
     *
     * @throws LockFailedException EDEADLK ("deadlock: trying to re-acquire self-held lock") if the owner
     *         already holds one of the lock files, or an error of the locker's system calls
     */
    public static Optional<PathLocks> lock(LockerClient client, LockOwner owner, Collection<Path> paths, Wait wait,
            Consumer<Path> onWait) throws LockerException {
        List<Path> sorted = inLockOrder(paths);
        for (Path path : sorted) {
            if (owner.holds(lockFileOf(path))) {
                throw new LockFailedException(Errno.EDEADLK, "deadlock: trying to re-acquire self-held lock");
            }
        }
        List<PathLock.Held> taken = new ArrayList<>();
        try {
            int next = 0;
            while (next < sorted.size()) {
                int busy = tryInOrder(client, owner, sorted.subList(next, sorted.size()), taken);
                if (busy < 0) {
                    break;
                }
                Path path = sorted.get(next + busy);
                if (wait == Wait.TRY) {
                    releaseAll(client, taken, false);
                    return Optional.empty();
                }
                onWait.accept(path);
                taken.add(LockerException.await(client.lock(owner, lockFileOf(path), LockMode.EXCLUSIVE, Wait.WAIT,
                        LockFileOption.REOPEN_IF_STALE)).held());
                next += busy + 1;
            }
        } catch (LockerException | RuntimeException e) {
            releaseAll(client, taken, false);
            throw e;
        }
        return Optional.of(new PathLocks(client, List.copyOf(taken), List.copyOf(sorted)));
    }

    /**
     * Sends TRY requests for all paths at once. The locker handles requests in arrival order, so this is still
     * acquisition in sorted order, at the cost of one round trip instead of one per path. Adds the locks before
     * the first busy path to {@code taken}, gives back any taken after it (holding those while waiting would
     * break the order), and returns the busy path's index, or -1 if all were taken.
     */
    private static int tryInOrder(LockerClient client, LockOwner owner, List<Path> paths, List<PathLock.Held> taken)
            throws LockerException {
        List<CompletableFuture<PathLock>> requests = new ArrayList<>(paths.size());
        for (Path path : paths) {
            requests.add(client.lock(owner, lockFileOf(path), LockMode.EXCLUSIVE, Wait.TRY,
                    LockFileOption.REOPEN_IF_STALE));
        }
        int firstBusy = -1;
        LockerException failure = null;
        List<PathLock.Held> beyond = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            PathLock lock;
            try {
                lock = LockerException.await(requests.get(i));
            } catch (LockerException e) {
                failure = failure == null ? e : failure;
                continue;
            }
            if (!lock.acquired()) {
                firstBusy = firstBusy < 0 ? i : firstBusy;
            } else if (firstBusy < 0 && failure == null) {
                taken.add(lock.held());
            } else {
                beyond.add(lock.held());
            }
        }
        releaseAll(client, beyond, false);
        if (failure != null) {
            throw failure;
        }
        return firstBusy;
    }

    /** Upstream's {@code setDeletion}: set once the paths are valid, so later lockers never need the old files. */
    public void setDeletion(boolean delete) {
        this.deleteOnRelease = delete;
    }

    /** The store paths locked, in the order they were taken. */
    public List<Path> paths() {
        return paths;
    }

    /** Releases every lock (deleting the lock files if {@link #setDeletion} asked for it). Idempotent. */
    public void release() {
        releaseAll(client, locks, deleteOnRelease);
    }

    @Override
    public void close() {
        release();
    }

    /** Sends every unlock, then waits for all: order does not matter when releasing. */
    private static void releaseAll(LockerClient client, List<PathLock.Held> locks, boolean delete) {
        List<CompletableFuture<Void>> done = new ArrayList<>(locks.size());
        for (PathLock.Held lock : locks) {
            done.add(delete ? client.unlockAndDelete(lock) : client.unlock(lock));
        }
        done.forEach(CompletableFuture::join);
    }

    private static byte[] bytes(Path p) {
        return p.toString().getBytes(StandardCharsets.UTF_8);
    }
}
