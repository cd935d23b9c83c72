package loomd.spawner;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import loomd.posix.FdPassing;
import loomd.posix.Fds;
import loomd.posix.HelperBinary;
import loomd.posix.HelperSocket;
import loomd.posix.PosixException;
import loomd.process.ExitStatus;

/**
 * The daemon's end of the spawner link: starts the spawner, sends requests, turns replies into
 * {@link SpawnedProcess} objects and exit statuses. See package-info for the threads.
 */
public final class SpawnerClient implements Spawner {
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(10);

    private final Process spawner;
    private final SocketChannel link;
    /** Our own dup of the link fd for sendmsg, closed only after the writer thread has stopped. */
    private final int sendFd;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("loomd-spawner-writer").factory());
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Map<Long, SpawnedProcess> running = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    private final CompletableFuture<SpawnError.SpawnerGone> gone = new CompletableFuture<>();

    private record Pending(CompletableFuture<SpawnedProcess> future, Pipe.SourceChannel source) {}

    private SpawnerClient(Process spawner, SocketChannel link) throws PosixException {
        this.spawner = spawner;
        this.link = link;
        this.sendFd = Fds.dup(Fds.fdOf(link));
    }

    /**
     * Starts {@code binary} and connects to it through a one-shot listener in a fresh 0700 directory
     * under {@code runtimeDir}; the connection is accepted only from the spawner's pid. The spawner is
     * started by the link's reader thread, which lives as long as the link, because the spawner's
     * parent-death signal follows the thread that forked it.
     */
    public static SpawnerClient launch(Path binary, Path runtimeDir) throws IOException {
        HelperSocket socket = HelperSocket.bind(runtimeDir, "spawner");
        CompletableFuture<SpawnerClient> ready = new CompletableFuture<>();
        try {
            Thread.ofPlatform().daemon().name("loomd-spawner-reader").start(() -> runLink(binary, socket, ready));
            return ready.get(LAUNCH_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException("starting the spawner", e.getCause());
        } catch (TimeoutException e) {
            ready.thenAccept(SpawnerClient::close); // a late connection is not leaked
            throw new IOException("the spawner " + binary + " did not start within " + LAUNCH_TIMEOUT);
        } catch (InterruptedException e) {
            ready.thenAccept(SpawnerClient::close);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the spawner", e);
        } finally {
            socket.close();
        }
    }

    private static void runLink(Path binary, HelperSocket socket, CompletableFuture<SpawnerClient> ready) {
        SpawnerClient client;
        Process process = null;
        try {
            process = HelperBinary.start(new ProcessBuilder(binary.toString(), socket.path().toString(),
                    Long.toString(ProcessHandle.current().pid()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT));
            Process started = process;
            started.getOutputStream().close();
            client = new SpawnerClient(started, socket.accept(started, LAUNCH_TIMEOUT));
            started.onExit().thenRun(() -> client.linkBroken(describeExit(started)));
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            ready.completeExceptionally(e);
            return;
        }
        ready.complete(client);
        client.readReplies();
    }

    /** The spawner's pid (for tests and diagnostics). */
    @Override
    public long spawnerPid() {
        return spawner.pid();
    }

    /** Completes when the link is gone, with the reason; the daemon relaunches on it. */
    public CompletableFuture<SpawnError.SpawnerGone> terminated() {
        return gone;
    }

    public boolean isAlive() {
        return !gone.isDone();
    }

    /**
     * Asks the spawner to start {@code request}. Completes once the child has called execve, or fails
     * with a {@link SpawnException} (setup failure, exec failure, spawner gone). Channels passed in the
     * request must stay open until this future completes. Dependent stages added without an executor run
     * on the link's reader thread: keep them short and non-blocking.
     */
    @Override
    public CompletableFuture<SpawnedProcess> spawn(SpawnRequest request) {
        long id = nextId.incrementAndGet();
        CompletableFuture<SpawnedProcess> future = new CompletableFuture<>();
        Pipe pipe = null;
        try {
            List<Integer> fds = new ArrayList<>();
            List<Wire.FdMapping> map = new ArrayList<>();
            request.stdin().ifPresent(ch -> addFd(fds, map, Fds.fdOf(ch), 0));
            switch (request.output()) {
                case Output.Discard d -> { }
                case Output.Capture c -> {
                    pipe = Pipe.open();
                    addFd(fds, map, Fds.fdOf(pipe.sink()), 1, 2);
                }
                case Output.ToChannel(var ch) -> addFd(fds, map, Fds.fdOf(ch), 1, 2);
            }
            request.extraFds().forEach((child, caller) -> addFd(fds, map, caller, child));
            byte[] frame = Wire.spawnFrame(id, request, map);
            pending.put(id, new Pending(future, pipe == null ? null : pipe.source()));
            if (gone.isDone()) {
                failPending(id, gone.join());
                closeQuietly(pipe == null ? null : pipe.sink());
                return future;
            }
            Pipe.SinkChannel sink = pipe == null ? null : pipe.sink();
            int[] fdArray = fds.stream().mapToInt(Integer::intValue).toArray();
            writer.execute(() -> sendSpawn(id, frame, fdArray, sink));
        } catch (IOException | RejectedExecutionException e) {
            closeQuietly(pipe == null ? null : pipe.source());
            closeQuietly(pipe == null ? null : pipe.sink());
            pending.remove(id);
            future.completeExceptionally(e instanceof IOException ? e
                    : new SpawnException(gone.getNow(new SpawnError.SpawnerGone("the link is closed"))));
        }
        return future;
    }

    /**
     * Kills every process running as {@code uid} (upstream's killUser, used before and after a build
     * with build users): a child switches to {@code uid}/{@code gid} and calls kill(-1, SIGKILL).
     * Completes when that is done; fails with a {@link SpawnException} if the kill was refused.
     */
    @Override
    public CompletableFuture<Void> killUser(int uid, int gid) {
        SpawnRequest request = SpawnRequest.builder().argv("/kill-user").processGroup(ProcessGroup.SHARED)
                .identity(uid, gid).killUser().build();
        return spawn(request).thenCompose(SpawnedProcess::onExit).thenAccept(status -> {
            if (!status.success()) {
                throw new java.util.concurrent.CompletionException(new IOException(
                        "cannot kill processes for uid `" + uid + "': the helper ended with " + status));
            }
        });
    }

    private static void addFd(List<Integer> fds, List<Wire.FdMapping> map, int fd, int... targets) {
        fds.add(fd);
        for (int target : targets) {
            map.add(new Wire.FdMapping(target, fds.size() - 1));
        }
    }

    /** Runs on the writer thread: the one place sendmsg is called. */
    private void sendSpawn(long id, byte[] frame, int[] fds, Pipe.SinkChannel sink) {
        try {
            FdPassing.send(sendFd, frame, fds);
        } catch (IOException e) {
            linkBroken("sending to the spawner failed: " + e.getMessage());
        } finally {
            // The child holds its own copy now; ours would keep the pipe from reaching EOF.
            closeQuietly(sink);
        }
    }

    void signal(long id, int signal) {
        if (gone.isDone()) {
            return;
        }
        byte[] frame = Wire.killFrame(id, signal);
        try {
            writer.execute(() -> {
                try {
                    FdPassing.send(sendFd, frame);
                } catch (IOException e) {
                    linkBroken("sending to the spawner failed: " + e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            // The link is closing; its children are being killed anyway.
        }
    }

    /** Runs on the reader thread until the link breaks. */
    private void readReplies() {
        ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        try {
            while (true) {
                header.clear();
                readFully(header);
                int length = header.getInt(0);
                if (length < 4 || length > Wire.MAX_REPLY) {
                    throw new IOException("bad reply length " + length + " from the spawner");
                }
                ByteBuffer body = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
                readFully(body);
                body.flip();
                dispatch(body.getInt(), body);
            }
        } catch (EOFException e) {
            linkBroken(awaitExitDescription());
        } catch (IOException | RuntimeException e) {
            linkBroken("reading from the spawner failed: " + e);
        }
    }

    private void readFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (link.read(buf) < 0) {
                throw new EOFException();
            }
        }
    }

    private void dispatch(int type, ByteBuffer body) {
        long id = body.getLong();
        switch (type) {
            case Wire.REP_STARTED -> started(id, body.getInt());
            case Wire.REP_FAILED -> {
                SetupStep step = SetupStep.ofCode(body.getInt());
                int errno = body.getInt();
                String detail = Wire.string(body);
                failPending(id, step == SetupStep.EXEC
                        ? new SpawnError.ExecFailure(detail, errno)
                        : new SpawnError.SetupFailure(step, errno, detail));
            }
            case Wire.REP_EXITED -> {
                SpawnedProcess process = running.remove(id);
                if (process == null) {
                    throw new IllegalStateException("EXITED for unknown request " + id);
                }
                process.completeExit(ExitStatus.fromWaitStatus(body.getInt()));
            }
            default -> throw new IllegalStateException("unknown reply type " + type + " from the spawner");
        }
    }

    private void started(long id, int pid) {
        Pending p = pending.remove(id);
        if (p == null) {
            throw new IllegalStateException("STARTED for unknown request " + id);
        }
        SpawnedProcess process = new SpawnedProcess(this, id, pid, p.source());
        running.put(id, process);
        p.future().complete(process);
    }

    private void failPending(long id, SpawnError error) {
        Pending p = pending.remove(id);
        if (p != null) {
            closeQuietly(p.source());
            p.future().completeExceptionally(new SpawnException(error));
        }
    }

    /** Idempotent: fails everything outstanding, shuts the socket both ways, stops the writer. */
    private void linkBroken(String reason) {
        SpawnError.SpawnerGone error = new SpawnError.SpawnerGone(reason);
        if (!gone.complete(error)) {
            return;
        }
        try {
            Fds.shutdown(sendFd, Fds.SHUT_RDWR);
        } catch (PosixException ignored) {
            // already disconnected
        }
        writer.shutdown();
        for (Long id : List.copyOf(pending.keySet())) {
            failPending(id, error);
        }
        for (Long id : List.copyOf(running.keySet())) {
            SpawnedProcess p = running.remove(id);
            if (p != null) {
                p.failExit(new SpawnException(error));
            }
        }
        Thread.ofPlatform().daemon().name("loomd-spawner-cleanup").start(this::releaseLink);
    }

    private void releaseLink() {
        try {
            writer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Fds.closeQuietly(sendFd);
        closeQuietly(link);
    }

    private String awaitExitDescription() {
        try {
            spawner.onExit().get(2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // still alive: describeExit says so
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return describeExit(spawner);
    }

    private static String describeExit(Process p) {
        if (p.isAlive()) {
            return "the spawner (pid " + p.pid() + ") closed the link";
        }
        int v = p.exitValue();
        return "the spawner (pid " + p.pid() + ") " + (v > 128 ? "was killed by signal " + (v - 128) : "exited with status " + v);
    }

    /**
     * Closes the link: the spawner kills every child it started and exits. Waits (up to 10 s) for it.
     * Outstanding futures fail with {@link SpawnError.SpawnerGone}.
     */
    @Override
    public void close() {
        linkBroken("the daemon closed the link");
        try {
            spawner.onExit().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            spawner.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // cleanup only
            }
        }
    }
}
