package loomd.locker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import loomd.posix.FdPassing;
import loomd.posix.Fds;
import loomd.posix.HelperBinary;
import loomd.posix.HelperSocket;
import loomd.posix.PosixException;

/**
 * One locker process and the daemon's connection to it. Two platform threads own the socket: the writer
 * sends queued requests (batched, with any passed fds), the reader (which also started the process)
 * completes the pending futures as replies arrive. Callers only enqueue and get a future, so a virtual thread never blocks in a native call here.
 * The link dies once (reader EOF, write failure, process exit or close); every pending request then fails
 * with {@link LockerUnavailableException}.
 */
final class LockerLink {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Outgoing POISON = new Outgoing(new byte[0], -1);

    private record Outgoing(byte[] frame, int fd) {}

    private record Pending(CompletableFuture<Wire.Reply> reply, int passedFd) {}

    final int generation;
    private final Process process;
    private final SocketChannel channel;
    private final int fd;
    private final LinkedBlockingQueue<Outgoing> outbox = new LinkedBlockingQueue<>();
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<LockerUnavailableException> death = new CompletableFuture<>();
    private final AtomicBoolean dead = new AtomicBoolean();
    /** The socket is closed once both of its threads have stopped using it (never under them: fd reuse). */
    private final AtomicInteger threadsUsingSocket = new AtomicInteger(2);

    private LockerLink(int generation, Process process, SocketChannel channel) {
        this.generation = generation;
        this.process = process;
        this.channel = channel;
        this.fd = Fds.fdOf(channel);
    }

    /** The locker process behind this link. */
    Process process() {
        return process;
    }

    /**
     * Starts a locker process and connects to it through a one-shot socket in a fresh 0700 directory. The
     * link's reader thread starts the process and lives as long as the link, because the native locker's
     * parent-death signal follows the thread that started it.
     */
    static LockerLink launch(LockerProgram program, Path runtimeDir, int generation) throws IOException {
        CompletableFuture<LockerLink> ready = new CompletableFuture<>();
        try (HelperSocket socket = HelperSocket.bind(runtimeDir, "locker")) {
            Thread.ofPlatform().name("locker-reader-" + generation).daemon(true)
                    .start(() -> runLink(program, socket, generation, ready));
            // No timeout here: accept gives up after START_TIMEOUT or when the process exits.
            return ready.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /** The reader thread's whole life: start the locker, accept its connection, then read replies. */
    private static void runLink(LockerProgram program, HelperSocket socket, int generation,
            CompletableFuture<LockerLink> ready) {
        Process process = null;
        LockerLink link;
        try {
            process = HelperBinary.start(new ProcessBuilder(program.command(socket.path()))
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT));
            process.getOutputStream().close();
            link = new LockerLink(generation, process, socket.accept(process, START_TIMEOUT));
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            ready.completeExceptionally(e);
            return;
        }
        link.start();
        ready.complete(link);
        link.readLoop();
        link.socketThreadEnded();
    }

    private void start() {
        Thread.ofPlatform().name("locker-writer-" + generation).daemon(true).start(() -> {
            writeLoop();
            socketThreadEnded();
        });
        process.onExit().thenRun(() -> die("the locker process (pid " + process.pid() + ") exited with code "
                + process.exitValue(), null, true));
    }

    private void socketThreadEnded() {
        if (threadsUsingSocket.decrementAndGet() == 0) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isDead() {
        return dead.get();
    }

    CompletableFuture<LockerUnavailableException> death() {
        return death;
    }

    /**
     * Sends a request; the future completes with its reply. A passed fd belongs to the link from now on and
     * is closed once the locker has answered (or the link died).
     */
    CompletableFuture<Wire.Reply> call(Wire.Request request, int passedFd) {
        CompletableFuture<Wire.Reply> reply = new CompletableFuture<>();
        pending.put(request.id(), new Pending(reply, passedFd));
        outbox.add(new Outgoing(Wire.encode(request), passedFd));
        if (dead.get()) {
            failPending(death.getNow(new LockerUnavailableException("the locker link is closed")));
        }
        return reply;
    }

    private void writeLoop() {
        List<Outgoing> batch = new ArrayList<>();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            while (true) {
                batch.clear();
                batch.add(outbox.take());
                outbox.drainTo(batch, 255);
                bytes.reset();
                List<Integer> fds = new ArrayList<>();
                for (Outgoing o : batch) {
                    if (o == POISON) {
                        return;
                    }
                    if (o.fd() >= 0 && fds.size() == FdPassing.MAX_FDS) {
                        flush(bytes, fds);
                    }
                    bytes.writeBytes(o.frame());
                    if (o.fd() >= 0) {
                        fds.add(o.fd());
                    }
                }
                flush(bytes, fds);
            }
        } catch (InterruptedException e) {
            die("the locker writer was interrupted", e, true);
        } catch (PosixException e) {
            die("cannot write to the locker: " + e.getMessage(), e, true);
        }
    }

    private void flush(ByteArrayOutputStream bytes, List<Integer> fds) throws PosixException {
        if (bytes.size() > 0) {
            FdPassing.send(fd, bytes.toByteArray(), fds.stream().mapToInt(Integer::intValue).toArray());
        }
        bytes.reset();
        fds.clear();
    }

    private void readLoop() {
        Wire.Deframer frames = new Wire.Deframer();
        try {
            while (true) {
                byte[] buffer = frames.space(4096);
                int offset = frames.writeOffset();
                int n = Fds.read(fd, buffer, offset, buffer.length - offset);
                if (n == 0) {
                    die("the locker closed its link (pid " + process.pid() + ")", null, true);
                    return;
                }
                frames.wrote(n);
                for (byte[] body = frames.next(); body != null; body = frames.next()) {
                    deliver(Wire.decodeReply(body));
                }
            }
        } catch (IOException | RuntimeException e) {
            die("cannot read from the locker: " + e.getMessage(), e, true);
        }
    }

    private void deliver(Wire.Reply reply) {
        Pending p = pending.remove(reply.id());
        if (p == null) {
            return;
        }
        Fds.closeQuietly(p.passedFd());
        p.reply().complete(reply);
    }

    private void die(String why, Throwable cause, boolean kill) {
        if (!dead.compareAndSet(false, true)) {
            return;
        }
        LockerUnavailableException failure = new LockerUnavailableException(why, cause);
        // Shut the socket first: the writer may still hold passed fds that failPending closes, and a
        // shut-down socket refuses to send anything, whatever those fd numbers come to mean.
        try {
            Fds.shutdown(fd, Fds.SHUT_RDWR);
        } catch (PosixException ignored) {
            // already disconnected
        }
        outbox.add(POISON);
        // Owners are marked lost (on this thread) before any request fails: a failure seen by a caller can
        // then be told apart as a loss (LockOwner.isLost).
        death.complete(failure);
        failPending(failure);
        if (kill) {
            process.destroyForcibly();
        }
    }

    private void failPending(LockerUnavailableException failure) {
        for (Long id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                Fds.closeQuietly(p.passedFd());
                p.reply().completeExceptionally(failure);
            }
        }
    }

    /** Ends the link: the locker sees end of stream, releases everything and exits. */
    void close() {
        die("the locker client is closed", null, false);
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
