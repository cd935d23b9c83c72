package loomd.daemon.store.roots;

import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import loomd.daemon.store.StoreException;

/**
 * A {@link FileLocker} whose locker is still starting: the daemon serves its first clients while
 * the locker process comes up (issue 14), so a request that needs a lock, and only such a request,
 * waits for it here, parked on the start's future (never a carrier: the future completes on the
 * thread that launched the locker). A locker that could not start fails each such request with
 * the launch's own error; owners made before the locker is up attach to it at their first lock.
 */
public final class PendingFileLocker implements FileLocker {
    private final CompletableFuture<? extends FileLocker> ready;

    public PendingFileLocker(CompletableFuture<? extends FileLocker> ready) {
        this.ready = ready;
    }

    /** The locker once started; a {@link StoreException} saying why it did not start otherwise. */
    FileLocker await() {
        try {
            return ready.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw cause instanceof StoreException se ? se : new StoreException(cause.getMessage(), cause);
        }
    }

    @Override
    public Owner newOwner(String label) {
        return ready.isDone() && !ready.isCompletedExceptionally() ? ready.join().newOwner(label) : new PendingOwner(label);
    }

    @Override
    public PathLock lockPaths(Collection<Path> physicalPaths) {
        return await().lockPaths(physicalPaths);
    }

    /** An owner made before the locker was up: the real one is made at its first use. */
    private final class PendingOwner implements Owner {
        private final String label;
        private Owner real;
        private boolean closed;

        PendingOwner(String label) {
            this.label = label;
        }

        /** Its user serialises its calls (see {@link Owner}); onLost may come from another thread. */
        private synchronized Owner real() {
            if (closed) throw new IllegalStateException("owner " + label + " is closed");
            if (real == null) real = await().newOwner(label);
            return real;
        }

        @Override
        public void lock(Path file, boolean exclusive) {
            real().lock(file, exclusive);
        }

        @Override
        public boolean tryLock(Path file, boolean exclusive) {
            return real().tryLock(file, exclusive);
        }

        /** Nothing held yet can be lost; once attached, as the real owner says. */
        @Override
        public synchronized boolean isLost() {
            return real != null && real.isLost();
        }

        @Override
        public void onLost(Runnable action) {
            ready.thenRun(() -> {
                synchronized (this) {
                    if (!closed) real().onLost(action);
                }
            });
        }

        @Override
        public synchronized void close() {
            closed = true;
            if (real != null) real.close();
        }
    }
}
