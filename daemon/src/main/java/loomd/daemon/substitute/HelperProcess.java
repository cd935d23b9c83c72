package loomd.daemon.substitute;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

import loomd.posix.Fds;
import loomd.spawner.Output;
import loomd.spawner.ProcessGroup;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.Spawner;

/**
 * One {@code guix substitute} process started as daemon.md §5.1 says: argv {@code [G, substitute,
 * MODE]}, cwd {@code /}, its own session, the daemon's environment plus {@code _NIX_OPTIONS}; stdin a
 * pipe from the daemon, stdout and stderr one "diagnostics" pipe, fd 4 the "replies" pipe. The spawner
 * forks it; nothing here blocks a platform thread.
 *
 * <p>Unlike upstream, whose query helper's stderr is read only while a reply is awaited (§9.11), a
 * virtual thread drains the diagnostics pipe for the helper's whole life and hands each chunk to the
 * current {@linkplain #route sink}, or keeps it (bounded) until one is set, so a chatty helper never
 * blocks on a full pipe. Replies are read by whoever holds the helper, one at a time (the pools lend a
 * helper to one caller).
 */
public final class HelperProcess implements AutoCloseable {
    /** Diagnostics kept while nobody listens; older bytes are dropped past this. */
    static final int MAX_UNROUTED = 64 * 1024;
    /** The drain's longest nap on an empty pipe: how late a quiet helper's next line may be relayed. */
    private static final long MAX_NAP_MILLIS = 20;

    private final SpawnedProcess process;
    private final Pipe.SinkChannel stdin;
    private final Pipe.SourceChannel diagnostics;
    private final InputStream replies;
    private final String options;
    private final Object routeLock = new Object();
    private final ByteArrayOutputStream unrouted = new ByteArrayOutputStream();
    /** Guards reads of {@link #diagnostics} and {@link #readBuffer}: the drain's and {@link #settleDiagnostics}'. */
    private final Object readLock = new Object();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(8192);
    private final CompletableFuture<Void> diagnosticsEof = new CompletableFuture<>();
    private Consumer<byte[]> sink;

    private HelperProcess(SpawnedProcess process, Pipe.SinkChannel stdin, Pipe.SourceChannel diagnostics,
            Pipe.SourceChannel replies, String options) {
        this.process = process;
        this.stdin = stdin;
        this.diagnostics = diagnostics;
        this.replies = Channels.newInputStream(replies);
        this.options = options;
        try {
            diagnostics.configureBlocking(false);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Thread.ofVirtual().name("loomd-substitute-diag-" + process.pid()).start(this::drain);
    }

    /**
     * Starts {@code program substitute <mode>}; waits (parked) until it has called execve.
     *
     * @throws IOException with upstream's wording when the spawner cannot start it
     */
    static HelperProcess start(Spawner spawner, String program, String mode, Map<String, String> env,
            String nixOptions) throws IOException {
        Pipe in = Pipe.open();
        Pipe diag = Pipe.open();
        Pipe reply = Pipe.open();
        List<String> envp = new ArrayList<>();
        env.forEach((k, v) -> {
            if (!k.equals("_NIX_OPTIONS")) envp.add(k + "=" + v);
        });
        envp.add("_NIX_OPTIONS=" + nixOptions);
        SpawnRequest request = SpawnRequest.builder().program(program).argv(program, "substitute", mode)
                .env(toMap(envp)).cwd("/").processGroup(ProcessGroup.NEW_SESSION)
                .stdin(in.source()).output(new Output.ToChannel(diag.sink()))
                .extraFd(4, Fds.fdOf(reply.sink())).build();
        try {
            SpawnedProcess p = spawner.spawn(request).join();
            return new HelperProcess(p, in.sink(), diag.source(), reply.source(), nixOptions);
        } catch (CompletionException e) {
            closeQuietly(in.sink(), diag.source(), reply.source());
            throw new IOException("unable to start `" + program + " substitute " + mode + "': "
                    + (e.getCause() == null ? e : e.getCause()).getMessage(), e.getCause());
        } finally {
            // The child holds its own copies now.
            closeQuietly(in.source(), diag.sink(), reply.sink());
        }
    }

    private static Map<String, String> toMap(List<String> envp) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String e : envp) {
            int eq = e.indexOf('=');
            m.put(e.substring(0, eq), e.substring(eq + 1));
        }
        return m;
    }

    /** The {@code _NIX_OPTIONS} it was started with (the pools' key). */
    String options() {
        return options;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return !process.onExit().isDone() && !diagnosticsEof.isDone();
    }

    /** Completes when the diagnostics pipe reaches EOF (the helper and its children are gone). */
    CompletableFuture<Void> diagnosticsClosed() {
        return diagnosticsEof;
    }

    /** Writes one request line. */
    void send(String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            stdin.write(b);
        }
    }

    /**
     * One reply line from fd 4 (without its {@code \n}), read byte by byte as upstream so nothing past
     * the line is consumed; however the helper split its writes (§9.30). Null at EOF.
     */
    String readReplyLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int c = replies.read();
            if (c < 0) return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            if (c == '\n') return line.toString(StandardCharsets.UTF_8);
            line.write(c);
        }
    }

    /**
     * Routes diagnostics to {@code to} (null: keep them); chunks kept meanwhile go to {@code to} first.
     * Called on the caller's thread; {@code to} then runs on the drain thread.
     */
    void route(Consumer<byte[]> to) {
        synchronized (routeLock) {
            sink = to;
            if (to != null && unrouted.size() > 0) {
                to.accept(unrouted.toByteArray());
                unrouted.reset();
            }
        }
    }

    /**
     * Hands every diagnostic byte the helper wrote before this call to the sink, so that a reply's
     * diagnostics come before the reply, as with upstream's select loop (which reads stderr first). It
     * reads what is left in the pipe itself, under the lock the drain reads under: a byte is either
     * delivered already or still in the pipe, never read and not yet delivered.
     */
    void settleDiagnostics() {
        synchronized (readLock) {
            try {
                while (readOnce() > 0) {
                    // until the pipe is empty
                }
            } catch (IOException e) {
                // closed by dispose: nothing more will come
            }
        }
    }

    /**
     * The drain, for the helper's whole life. The pipe is non-blocking and read under {@link #readLock}
     * (see {@link #settleDiagnostics}); when it is empty the drain naps, longer while the helper is quiet.
     */
    private void drain() {
        long nap = 1;
        try {
            while (true) {
                int n;
                synchronized (readLock) {
                    n = readOnce();
                }
                if (n < 0) break;
                if (n > 0) {
                    nap = 1;
                    continue;
                }
                Thread.sleep(nap);
                nap = Math.min(nap * 2, MAX_NAP_MILLIS);
            }
        } catch (IOException | InterruptedException e) {
            // closed by dispose
        } finally {
            diagnosticsEof.complete(null);
        }
    }

    /** One non-blocking read, delivered; the bytes read, 0 when the pipe is empty, -1 at EOF. */
    private int readOnce() throws IOException {
        readBuffer.clear();
        int n = diagnostics.read(readBuffer);
        if (n > 0) {
            byte[] chunk = new byte[n];
            readBuffer.flip().get(chunk);
            deliver(chunk);
        }
        return n;
    }

    private void deliver(byte[] chunk) {
        synchronized (routeLock) {
            if (sink != null) {
                sink.accept(chunk);
                return;
            }
            if (unrouted.size() + chunk.length > MAX_UNROUTED) {
                byte[] all = new byte[unrouted.size() + chunk.length];
                System.arraycopy(unrouted.toByteArray(), 0, all, 0, unrouted.size());
                System.arraycopy(chunk, 0, all, unrouted.size(), chunk.length);
                unrouted.reset();
                unrouted.write(all, all.length - MAX_UNROUTED, MAX_UNROUTED);
                return;
            }
            unrouted.write(chunk, 0, chunk.length);
        }
    }

    /** Upstream's disposal: close its stdin, SIGKILL its process group; the spawner reaps it. */
    @Override
    public void close() {
        closeQuietly(stdin);
        process.kill();
        closeQuietly(diagnostics);
        try {
            replies.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    private static void closeQuietly(java.nio.channels.Channel... channels) {
        for (java.nio.channels.Channel c : channels) {
            try {
                if (c != null) c.close();
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
