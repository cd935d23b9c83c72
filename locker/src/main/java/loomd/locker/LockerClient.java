package loomd.locker;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import loomd.posix.Fds;

/**
 * The daemon's handle on the locker process. Every method returns at once with a future completed by the
 * link's reader thread, so callers on virtual threads simply {@code join()} (which parks them, never a
 * carrier). Futures fail with {@link LockFailedException} (the locker refused, errno inside),
 * {@link LockerUnavailableException} (no locker) or {@link CancellationException} (a waiting request
 * ended by {@link #releaseAll} or by cancelling its future).
 *
 * <p>The futures complete on the link's reader thread. Actions chained on them with the non-async methods
 * ({@code thenApply}, {@code thenAccept}, ...) run there too and must not block, or no further reply is read:
 * block with {@code join()} on your own thread, or chain with the {@code *Async} variants.
 *
 * <p>If the locker dies, the client notices at once (reader EOF and process exit), fails what was in
 * flight, marks the locks held through it lost ({@link LockOwner#whenLost()}) and starts a new locker;
 * later requests go to the new one. Lost locks are never re-taken behind their owner's back.
 */
public final class LockerClient implements AutoCloseable {
    private final Path runtimeDir;
    private final LockerProgram program;
    private final AtomicLong nextRequestId = new AtomicLong(1);
    private final AtomicLong nextOwnerId = new AtomicLong(1);
    private final AtomicInteger generations = new AtomicInteger();
    private final ConcurrentHashMap<Long, LockOwner> owners = new ConcurrentHashMap<>();
    private final AtomicReference<CompletableFuture<LockerLink>> link = new AtomicReference<>();
    private final CopyOnWriteArrayList<Consumer<Process>> startListeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** What the locker holds right now, and its own descriptor count. */
    public record Stats(long lockerPid, int heldLocks, int waitingRequests, int owners, int lockerOpenFds) {}

    private LockerClient(Path runtimeDir, LockerProgram program) {
        this.runtimeDir = runtimeDir;
        this.program = program;
    }

    /**
     * Starts the locker process and connects to it; returns once it is serving. {@code runtimeDir} receives a
     * short-lived private directory holding the connection socket, and a private directory {@code loomd}
     * holding the native locker's binary. System property {@code loomd.locker} (or environment variable
     * {@code LOOMD_LOCKER}) {@code jvm} runs the JVM locker instead of the native one, for comparison.
     */
    public static LockerClient launch(Path runtimeDir) throws IOException {
        return launch(runtimeDir, LockerProgram.configured(runtimeDir));
    }

    static LockerClient launch(Path runtimeDir, LockerProgram program) throws IOException {
        LockerClient client = new LockerClient(runtimeDir, program);
        CompletableFuture<LockerLink> first = new CompletableFuture<>();
        client.link.set(first);
        client.connect(first);
        try {
            first.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof IOException io ? io : new LockerUnavailableException("cannot start the locker", e.getCause());
        }
        return client;
    }

    /**
     * A new owner. It stays registered (for loss notification) until {@link #releaseAll} ends it; call that when
     * the session, build or collection it stands for ends.
     */
    public LockOwner newOwner(String description) {
        LockOwner owner = new LockOwner(nextOwnerId.getAndIncrement(), description);
        owners.put(owner.id(), owner);
        return owner;
    }

    /** Opens (creating it 0600 if missing) and locks a file by path; the daemon never holds its fd. */
    public CompletableFuture<PathLock> lock(LockOwner owner, Path file, LockMode mode, Wait wait,
            LockFileOption... options) {
        int flags = 0;
        for (LockFileOption option : options) {
            flags |= switch (option) {
                case NO_CREATE -> Wire.FLAG_NO_CREATE;
                case REOPEN_IF_STALE -> Wire.FLAG_REOPEN_IF_STALE;
            };
        }
        Wire.Request.LockPath request = new Wire.Request.LockPath(nextId(), owner.id(), mode, wait, flags,
                file.toAbsolutePath().toString());
        return lockRequest(request, -1, owner, Optional.of(file), mode);
    }

    /**
     * Locks an open file through a copy of {@code fd} sent to the locker. This takes ownership of {@code fd}:
     * it is closed once the locker has answered, so the daemon keeps no descriptor for the lock.
     */
    public CompletableFuture<PathLock> lockFd(LockOwner owner, int fd, LockMode mode, Wait wait) {
        Wire.Request.LockFd request = new Wire.Request.LockFd(nextId(), owner.id(), mode, wait);
        return lockRequest(request, fd, owner, Optional.empty(), mode);
    }

    /** Changes a held lock's mode: an upgrade may wait (or be Busy with TRY), a downgrade never waits. */
    public CompletableFuture<PathLock> relock(PathLock.Held lock, LockMode mode, Wait wait) {
        if (lock.generation() != generations.get() || !lock.owner().held.containsKey(lock.id())) {
            return CompletableFuture.failedFuture(lostOrReleased(lock));
        }
        Wire.Request.Relock request = new Wire.Request.Relock(nextId(), lock.id(), mode, wait);
        return settled(send(request, -1, lock).thenApply(reply -> switch (reply) {
            case Wire.Reply.Locked l -> {
                PathLock.Held changed = lock.withMode(mode, l.size());
                lock.owner().held.replace(lock.id(), changed);
                yield changed;
            }
            case Wire.Reply.Busy b -> new PathLock.Busy(lock.owner(), lock.file(), mode, b.holderPid());
            default -> throw failure(reply);
        }));
    }

    /** Releases a lock. Releasing a Busy result or a lock already lost or released does nothing. */
    public CompletableFuture<Void> unlock(PathLock lock) {
        return unlock(lock, false);
    }

    /**
     * Upstream's release after registration: unlinks the lock file, writes "d" into it (so whoever opened it
     * before the unlink sees it is stale), then releases the lock.
     */
    public CompletableFuture<Void> unlockAndDelete(PathLock lock) {
        return unlock(lock, true);
    }

    /** Releases every lock of the owner and cancels its waiting requests; completes with the count released. */
    public CompletableFuture<Integer> releaseAll(LockOwner owner) {
        owners.remove(owner.id());
        CompletableFuture<LockerLink> current = currentLink();
        return settled(current.thenCompose(l -> l.call(new Wire.Request.ReleaseAll(nextId(), owner.id()), -1))
                .handle((reply, error) -> {
                    if (error != null) {
                        // No locker: whatever the owner held died with the last one.
                        owner.held.clear();
                        return 0;
                    }
                    if (reply instanceof Wire.Reply.Released r) {
                        owner.released(current.join().generation, r.lastLockId());
                        return (int) r.count();
                    }
                    throw failure(reply);
                }));
    }

    public CompletableFuture<Stats> stats() {
        return settled(currentLink().thenCompose(l -> l.call(new Wire.Request.Stats(nextId()), -1).thenApply(reply -> {
            if (reply instanceof Wire.Reply.StatsReply s) {
                return new Stats(l.pid(), s.heldLocks(), s.waiting(), s.owners(), s.openFds());
            }
            throw failure(reply);
        })));
    }

    /** The pid of the locker process serving now (after starting one if needed). */
    public long lockerPid() {
        return currentLink().join().pid();
    }

    /**
     * Calls {@code listener} with the locker process serving now (if one is up) and with every locker started
     * after a death, on the thread that connected to it: it must not block. For the daemon's process monitor.
     */
    public void onLockerStarted(Consumer<Process> listener) {
        startListeners.add(listener);
        CompletableFuture<LockerLink> current = link.get();
        if (current != null && current.isDone() && !current.isCompletedExceptionally()) {
            listener.accept(current.join().process());
        }
    }

    /** Whether {@code process} runs a locker, native or JVM (for tests and diagnostics). */
    public static boolean isLocker(ProcessHandle process) {
        return LockerProgram.runs(process);
    }

    /** Counts locker processes started so far; each restart after a death adds one. */
    public int generation() {
        return generations.get();
    }

    /** Stops the locker: it sees end of stream, drops every lock and exits. */
    @Override
    public void close() {
        closed = true;
        CompletableFuture<LockerLink> current = link.get();
        if (current != null) {
            current.thenAccept(LockerLink::close).exceptionally(e -> null).join();
        }
    }

    private CompletableFuture<PathLock> lockRequest(Wire.Request request, int fd, LockOwner owner,
            Optional<Path> file, LockMode mode) {
        owners.putIfAbsent(owner.id(), owner);
        CompletableFuture<LockerLink> current = currentLink();
        CompletableFuture<PathLock> result = new CompletableFuture<>();
        current.thenCompose(l -> l.call(request, fd).thenApply(reply -> toPathLock(reply, owner, file, mode, l)))
                .whenComplete((lock, error) -> {
                    if (error == null && !result.complete(lock)) {
                        unlock(lock);
                    } else if (error != null) {
                        if (current.isCompletedExceptionally()) {
                            Fds.closeQuietly(fd);
                        }
                        result.completeExceptionally(unwrap(error));
                    }
                });
        result.whenComplete((lock, error) -> {
            if (error instanceof CancellationException && current.isDone() && !current.isCompletedExceptionally()) {
                current.join().call(new Wire.Request.Cancel(nextId(), request.id()), -1);
            }
        });
        return result;
    }

    private PathLock toPathLock(Wire.Reply reply, LockOwner owner, Optional<Path> file, LockMode mode, LockerLink l) {
        return switch (reply) {
            case Wire.Reply.Locked locked -> {
                PathLock.Held held = new PathLock.Held(owner, file, mode, locked.lockId(), l.generation, locked.size());
                if (!owner.granted(held)) {
                    throw new CancellationException("the owner's locks were released while this request was answered");
                }
                yield held;
            }
            case Wire.Reply.Busy busy -> new PathLock.Busy(owner, file, mode, busy.holderPid());
            default -> throw failure(reply);
        };
    }

    private CompletableFuture<Void> unlock(PathLock lock, boolean delete) {
        if (!(lock instanceof PathLock.Held held) || held.owner().held.remove(held.id()) == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<LockerLink> current = link.get();
        if (current == null || !current.isDone() || current.isCompletedExceptionally()
                || current.join().generation != held.generation()) {
            return CompletableFuture.completedFuture(null);
        }
        return current.join().call(new Wire.Request.Unlock(nextId(), held.id(), delete), -1)
                .handle((reply, error) -> null);
    }

    /**
     * Sends a request about a held lock to the locker that holds it. If that locker has died, the owner is
     * marked lost before the future fails, so whoever sees the failure can tell it was a loss.
     */
    private CompletableFuture<Wire.Reply> send(Wire.Request request, int fd, PathLock.Held lock) {
        return currentLink().thenCompose(l -> {
            if (l.generation == lock.generation()) {
                return l.call(request, fd);
            }
            LockerUnavailableException dead = new LockerUnavailableException("the locker that held this lock has died");
            lock.owner().markLost(lock.generation(), dead);
            return CompletableFuture.failedFuture(dead);
        });
    }

    /** The live link, starting a new locker if the last one died or failed to start. */
    private CompletableFuture<LockerLink> currentLink() {
        while (true) {
            CompletableFuture<LockerLink> current = link.get();
            if (closed) {
                return CompletableFuture.failedFuture(new LockerUnavailableException("the locker client is closed"));
            }
            boolean usable = !current.isDone()
                    || (!current.isCompletedExceptionally() && !current.join().isDead());
            if (usable) {
                return current;
            }
            if (!current.isCompletedExceptionally()) {
                // Whoever notices a death first marks its locks lost, before a new generation
                // exists: otherwise a lock of the dead locker could pass for held meanwhile.
                LockerLink dead = current.join();
                markOwnersLost(dead, dead.death().getNow(
                        new LockerUnavailableException("the locker process died")));
            }
            CompletableFuture<LockerLink> next = new CompletableFuture<>();
            if (link.compareAndSet(current, next)) {
                Thread.ofPlatform().name("locker-launch").daemon(true).start(() -> connect(next));
                return next;
            }
        }
    }

    private void connect(CompletableFuture<LockerLink> target) {
        try {
            LockerLink l = LockerLink.launch(program, runtimeDir, generations.incrementAndGet());
            l.death().thenAccept(cause -> onDeath(l, cause));
            target.complete(l);
            startListeners.forEach(listener -> listener.accept(l.process()));
        } catch (IOException | RuntimeException e) {
            target.completeExceptionally(e instanceof LockerUnavailableException u ? u
                    : new LockerUnavailableException("cannot start the locker: " + e.getMessage(), e));
        }
    }

    private void onDeath(LockerLink dead, LockerUnavailableException cause) {
        markOwnersLost(dead, cause);
        if (!closed) {
            currentLink();
        }
    }

    private void markOwnersLost(LockerLink dead, LockerUnavailableException cause) {
        for (LockOwner owner : owners.values()) {
            owner.markLost(dead.generation, cause);
        }
    }

    private long nextId() {
        return nextRequestId.getAndIncrement();
    }

    private static RuntimeException failure(Wire.Reply reply) {
        return switch (reply) {
            case Wire.Reply.Failed f -> new CompletionException(new LockFailedException(f.errno(), f.message()));
            case Wire.Reply.Cancelled c -> new CancellationException("the waiting lock request was cancelled");
            default -> new CompletionException(new LockFailedException(0, "unexpected locker reply " + reply));
        };
    }

    /**
     * The same outcome with the cause itself as the failure (a CancellationException, a LockerException),
     * not wrapped in a CompletionException by the chain that produced it.
     */
    private static <T> CompletableFuture<T> settled(CompletableFuture<T> chain) {
        CompletableFuture<T> result = new CompletableFuture<>();
        chain.whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(unwrap(error));
            }
        });
        return result;
    }

    private static Throwable unwrap(Throwable error) {
        while (error instanceof CompletionException && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }

    private static LockerUnavailableException lostOrReleased(PathLock.Held lock) {
        return new LockerUnavailableException("lock " + lock.id() + " on "
                + lock.file().map(Path::toString).orElse("an fd")
                + " is not held: it was released, or lost when its locker process died");
    }
}
