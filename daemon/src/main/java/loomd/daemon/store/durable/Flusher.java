package loomd.daemon.store.durable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import loomd.daemon.store.Durability;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.posix.Fds;

/**
 * The one platform thread ({@code loomd-flusher}) that makes the store durable in groups: while
 * rows were committed since the last checkpoint, every flush interval (at once when a strict
 * request waits) it reads the highest {@code ValidPaths} id, calls {@code syncfs(2)} on the store's
 * file system (and the database's, if another), then records that id in the {@link CheckpointFile}.
 * Everything registered up to that id had its contents renamed into place before its commit, so
 * the one sync covers files, directories and the database together. Requests waiting in strict
 * mode share that sync (group commit); they are released once the checkpoint is written.
 * {@link #close} makes the final flush and marks the file clean.
 */
public final class Flusher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Flusher.class.getName());

    /** Observes the flushes (tests check the order of sync and reply). */
    public interface Listener {
        Listener NONE = new Listener() {};

        /** A flush begins: rows up to {@code upTo} are about to be made durable. */
        default void syncing(long upTo) {}

        /** The checkpoint {@code checkpoint} is written. */
        default void durable(long checkpoint) {}
    }

    private final StoreDatabase db;
    private final CheckpointFile file;
    private final int[] fileSystems;
    private final Durability durability;
    private final Listener listener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    /** Requests waiting for the next flush that starts after they arrived (guarded by lock). */
    private List<CompletableFuture<Void>> waiting = new ArrayList<>();
    private boolean closing;
    /** A waiter needs a sync even if no row is new (guarded by lock). */
    private boolean forced;
    private volatile long checkpoint;
    private final Thread thread;

    private Flusher(StoreDatabase db, CheckpointFile file, int[] fileSystems, Durability durability, long checkpoint,
                    Listener listener) {
        this.db = db;
        this.file = file;
        this.fileSystems = fileSystems;
        this.durability = durability;
        this.checkpoint = checkpoint;
        this.listener = listener;
        this.thread = Thread.ofPlatform().name("loomd-flusher").daemon(true).start(this::loop);
    }

    /**
     * Starts flushing from {@code checkpoint} (already recorded as running in {@code file});
     * {@code dirs} are directories whose file systems a flush syncs (the store, the database).
     */
    public static Flusher start(StoreDatabase db, CheckpointFile file, List<Path> dirs, Durability durability,
                                long checkpoint, Listener listener) {
        return new Flusher(db, file, openFileSystems(dirs), durability, checkpoint, listener);
    }

    /**
     * One directory fd per distinct file system among {@code dirs}. The device comes from the JDK's
     * stat rather than fstat(2) on the fd: one native function fewer to link before the first reply.
     */
    private static int[] openFileSystems(List<Path> dirs) {
        List<Integer> fds = new ArrayList<>();
        List<Object> devices = new ArrayList<>();
        try {
            for (Path d : dirs) {
                Object device = Files.getAttribute(d, "unix:dev");
                if (!devices.contains(device)) {
                    fds.add(Fds.open(d.toString(), Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_CLOEXEC, 0));
                    devices.add(device);
                }
            }
        } catch (IOException e) {
            fds.forEach(Fds::closeQuietly);
            throw new StoreException("opening the store's file systems for syncing: " + e.getMessage(), e);
        }
        return fds.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The highest row id known durable. */
    public long checkpoint() {
        return checkpoint;
    }

    /**
     * Called before replying to a request whose newest row is {@code id}: in strict mode, waits
     * (parking, never pinning) until a flush covers it; in batched mode returns at once.
     */
    public void settle(long id) {
        if (durability.mode() == Durability.Mode.STRICT) awaitDurable(id);
    }

    /** Waits until row {@code id} is durable: at once if the checkpoint covers it, else the next flush. */
    public void awaitDurable(long id) {
        if (id <= checkpoint) return;
        awaitFlush(false);
    }

    /**
     * Waits for a flush that syncs the store's file systems even when no row is new, whatever the
     * mode: a repair rewrites the contents of a row that is durable already, which no checkpoint
     * re-verifies after a power cut.
     */
    public void syncNow() {
        awaitFlush(true);
    }

    private void awaitFlush(boolean force) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        lock.lock();
        try {
            if (closing) throw new StoreException("the store is closing");
            waiting.add(done);
            forced |= force;
            wake.signal();
        } finally {
            lock.unlock();
        }
        try {
            done.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof StoreException se ? se : new StoreException(String.valueOf(e.getCause()));
        }
    }

    private void loop() {
        long interval = durability.flushInterval().toNanos();
        long next = System.nanoTime() + interval;
        while (true) {
            List<CompletableFuture<Void>> covered;
            boolean last;
            boolean force;
            lock.lock();
            try {
                long left;
                while (!closing && waiting.isEmpty() && (left = next - System.nanoTime()) > 0) {
                    wake.awaitNanos(left);
                }
                last = closing;
                covered = waiting;
                waiting = new ArrayList<>();
                force = forced;
                forced = false;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            flush(covered, last, force);
            if (last) return;
            next = System.nanoTime() + interval;
        }
    }

    /**
     * One flush; {@code covered} arrived before it began, so their rows are at or below the id it
     * reads. The last flush (clean shutdown) always writes the file, marked clean.
     */
    private void flush(List<CompletableFuture<Void>> covered, boolean clean, boolean force) {
        try {
            long upTo = db.read(StoreQueries::highestId);
            boolean newRows = upTo > checkpoint;
            if (newRows || clean || force) {
                listener.syncing(upTo);
                for (int fd : fileSystems) Fds.syncfs(fd);
                file.write(new CheckpointFile.Checkpoint(
                        clean ? CheckpointFile.State.CLEAN : CheckpointFile.State.RUNNING, upTo));
                checkpoint = Math.max(checkpoint, upTo);
                listener.durable(upTo);
            }
            covered.forEach(f -> f.complete(null));
            // After the replies; the last one is left to closing the database, which checkpoints.
            if (newRows && !clean) db.checkpointWal();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "making the store durable: " + e.getMessage());
            StoreException failure = new StoreException("syncing the store: " + e.getMessage(), e);
            covered.forEach(f -> f.completeExceptionally(failure));
        }
    }

    /** Clean shutdown, after the last write: the final flush marks the checkpoint clean. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closing) return;
            closing = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int fd : fileSystems) Fds.closeQuietly(fd);
    }
}
