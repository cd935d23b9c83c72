package loomd.daemon.store.roots;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

import loomd.daemon.store.StoreException;
import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.LockerException;
import loomd.locker.LockerUnavailableException;
import loomd.locker.PathLocks;
import loomd.locker.Wait;

/**
 * {@link FileLocker} over the locker process: the locks live in the locker (so no JVM descriptor
 * close can drop them, and the JVM holds no descriptor per lock), every wait is a future the
 * calling virtual thread parks on. The one exception: item locks nobody else holds are taken in
 * this JVM without waiting ({@link OfdItemLocks}, a bounded number of descriptors it alone owns). A store item's lock uses upstream's stale-file rule
 * ({@code REOPEN_IF_STALE}) and, once the item is valid, {@code unlockAndDelete}.
 *
 * <p>When the locker dies its locks are gone: owners report {@link Owner#isLost()} and refuse
 * further requests (their users re-establish what they need, see {@link TempRoots}); item locks
 * fail {@link FileLocker.PathLock#checkHeld()}. The client starts a new locker for new requests.
 */
public final class LockerFileLocker implements FileLocker, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LockerFileLocker.class.getName());
    private final LockerClient client;
    private final boolean ownsClient;
    private final OfdItemLocks inProcess = new OfdItemLocks();

    /** Over the daemon's locker client; the caller closes the client. */
    public LockerFileLocker(LockerClient client) {
        this(client, false);
    }

    private LockerFileLocker(LockerClient client, boolean ownsClient) {
        this.client = client;
        this.ownsClient = ownsClient;
    }

    /**
     * Starts a locker process of its own (for tools and tests that open a store without a daemon);
     * {@link #close} stops it. {@code runtimeDir} briefly holds the connection socket.
     */
    public static LockerFileLocker launch(Path runtimeDir) {
        try {
            return new LockerFileLocker(LockerClient.launch(runtimeDir), true);
        } catch (IOException e) {
            throw new StoreException("starting the locker process: " + e.getMessage(), e);
        }
    }

    @Override
    public Owner newOwner(String label) {
        return new LockerOwner(client.newOwner(label));
    }

    /**
     * Uncontended item locks are taken in this JVM ({@link OfdItemLocks}: no round trip); a busy one
     * sends the whole set to the locker, which waits for it off the virtual threads.
     */
    @Override
    public FileLocker.PathLock lockPaths(Collection<Path> physicalPaths) {
        List<Path> paths = List.copyOf(physicalPaths);
        Optional<OfdItemLocks.Held> here = inProcess.tryLock(paths);
        if (here.isPresent()) return here.get();
        LockOwner owner = client.newOwner("store item " + paths.getFirst()
                + (paths.size() > 1 ? " and " + (paths.size() - 1) + " more" : ""));
        try {
            // Upstream's path-lock algorithm (lock file name, stale-file reopen, sorted order, deletion).
            PathLocks.lock(client, owner, paths, Wait.WAIT, p -> { }).orElseThrow();
            return new ItemLock(owner);
        } catch (LockerException e) {
            client.releaseAll(owner);
            throw failure(PathLocks.lockFileOf(paths.getFirst()), e);
        } catch (RuntimeException e) {
            client.releaseAll(owner);
            throw e;
        }
    }

    /** Stops the locker if this instance started it. */
    @Override
    public void close() {
        if (ownsClient) client.close();
    }

    private static <T> T join(CompletableFuture<T> future, Path file) {
        try {
            return future.join();
        } catch (CompletionException | CancellationException e) {
            throw failure(file, e.getCause() == null ? e : e.getCause());
        }
    }

    private static StoreException failure(Path file, Throwable cause) {
        String why = cause instanceof LockerUnavailableException
                ? "the locker process is unavailable: " + cause.getMessage()
                : cause.getMessage();
        return new StoreException("acquiring lock on `" + file + "': " + why, cause);
    }

    private static StoreException lost(LockOwner owner) {
        LockerUnavailableException cause = owner.whenLost().getNow(null);
        return new StoreException("the locks of " + owner.description() + " were lost: the locker process died"
                + (cause == null ? "" : " (" + cause.getMessage() + ")"), cause);
    }

    private final class ItemLock implements FileLocker.PathLock {
        private final LockOwner owner;
        private boolean closed;
        private boolean deletion;

        ItemLock(LockOwner owner) {
            this.owner = owner;
        }

        @Override
        public void checkHeld() {
            if (owner.isLost()) throw lost(owner);
        }

        @Override
        public void setDeletion(boolean delete) {
            deletion = delete;
        }

        /**
         * Sends the unlocks (with deletion once the items are valid) and the owner's end without
         * waiting for the answers: the locker handles a link's requests in order, so any later lock
         * of the same file, by this daemon, queues behind them; a failure means the locker died,
         * and the locks with it.
         */
        @Override
        public void close() {
            if (closed) return;
            closed = true;
            boolean delete = deletion;
            for (loomd.locker.PathLock.Held h : owner.heldLocks()) {
                (delete ? client.unlockAndDelete(h) : client.unlock(h)).exceptionally(e -> {
                    LOG.log(System.Logger.Level.DEBUG, "releasing " + h.file() + ": " + e.getMessage());
                    return null;
                });
            }
            client.releaseAll(owner).exceptionally(e -> 0);
        }
    }

    private final class LockerOwner implements Owner {
        private final LockOwner owner;
        private final ConcurrentHashMap<Path, loomd.locker.PathLock.Held> held = new ConcurrentHashMap<>();

        LockerOwner(LockOwner owner) {
            this.owner = owner;
        }

        @Override
        public void lock(Path file, boolean exclusive) {
            if (!request(file, exclusive, Wait.WAIT)) {
                throw new StoreException("acquiring lock on `" + file + "': busy");
            }
        }

        @Override
        public boolean tryLock(Path file, boolean exclusive) {
            return request(file, exclusive, Wait.TRY);
        }

        private boolean request(Path file, boolean exclusive, Wait wait) {
            if (owner.isLost()) throw lost(owner);
            LockMode mode = exclusive ? LockMode.EXCLUSIVE : LockMode.SHARED;
            loomd.locker.PathLock result = Optional.ofNullable(held.get(file))
                    .map(current -> join(client.relock(current, mode, wait), file))
                    .orElseGet(() -> join(client.lock(owner, file, mode, wait), file));
            if (result instanceof loomd.locker.PathLock.Held h) {
                held.put(file, h);
                return true;
            }
            return false;
        }

        @Override
        public boolean isLost() {
            return owner.isLost();
        }

        @Override
        public void onLost(Runnable action) {
            owner.whenLost().thenRunAsync(action, r -> Thread.ofVirtual().name("locks-lost").start(r));
        }

        @Override
        public void close() {
            held.clear();
            try {
                client.releaseAll(owner).join();
            } catch (CompletionException e) {
                // the locker is gone: so are the locks
            }
        }
    }
}
