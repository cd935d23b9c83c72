package loomd.daemon.store.roots;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

import loomd.daemon.store.StoreException;
import loomd.locker.LockFileOption;
import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.Wait;

/**
 * {@link FileLocker} over the locker process: the locks live in the locker (so no JVM descriptor
 * close can drop them), every wait is a future the calling virtual thread parks on. A store
 * item's lock uses upstream's stale-file rule ({@code REOPEN_IF_STALE}) and, once the item is
 * valid, {@code unlockAndDelete}.
 */
public final class LockerFileLocker implements FileLocker {
    private final LockerClient client;

    public LockerFileLocker(LockerClient client) {
        this.client = client;
    }

    @Override
    public Owner newOwner(String label) {
        return new LockerOwner(client.newOwner(label));
    }

    @Override
    public FileLocker.PathLock lockPath(Path physicalPath) {
        Path lockFile = Path.of(physicalPath + ".lock");
        LockOwner owner = client.newOwner("store item " + physicalPath);
        try {
            loomd.locker.PathLock.Held held = join(client.lock(owner, lockFile, LockMode.EXCLUSIVE, Wait.WAIT,
                    LockFileOption.REOPEN_IF_STALE), lockFile).held();
            return new ItemLock(owner, held);
        } catch (RuntimeException e) {
            client.releaseAll(owner);
            throw e;
        }
    }

    private static <T> T join(CompletableFuture<T> future, Path file) {
        try {
            return future.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StoreException("acquiring lock on `" + file + "': " + cause.getMessage());
        }
    }

    private final class ItemLock implements FileLocker.PathLock {
        private final LockOwner owner;
        private final loomd.locker.PathLock.Held held;
        private boolean delete;
        private boolean closed;

        ItemLock(LockOwner owner, loomd.locker.PathLock.Held held) {
            this.owner = owner;
            this.held = held;
        }

        @Override
        public void setDeletion(boolean delete) {
            this.delete = delete;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            try {
                join(delete ? client.unlockAndDelete(held) : client.unlock(held), held.file().orElseThrow());
            } finally {
                client.releaseAll(owner);
            }
        }
    }

    private final class LockerOwner implements Owner {
        private final LockOwner owner;
        private final ReentrantLock mutex = new ReentrantLock();
        private final Map<Path, loomd.locker.PathLock.Held> held = new HashMap<>();

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
            LockMode mode = exclusive ? LockMode.EXCLUSIVE : LockMode.SHARED;
            mutex.lock();
            try {
                loomd.locker.PathLock.Held current = held.get(file);
                loomd.locker.PathLock result = current == null
                        ? join(client.lock(owner, file, mode, wait), file)
                        : join(client.relock(current, mode, wait), file);
                if (result instanceof loomd.locker.PathLock.Held h) {
                    held.put(file, h);
                    return true;
                }
                return false;
            } finally {
                mutex.unlock();
            }
        }

        @Override
        public void close() {
            mutex.lock();
            try {
                held.clear();
                client.releaseAll(owner).join();
            } catch (CompletionException e) {
                // the locker is gone: so are the locks
            } finally {
                mutex.unlock();
            }
        }
    }
}
