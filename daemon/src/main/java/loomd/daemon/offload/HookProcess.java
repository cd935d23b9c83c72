package loomd.daemon.offload;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import loomd.daemon.store.StoreException;
import loomd.posix.Fds;
import loomd.process.Limits;
import loomd.process.MonitoredProcess;
import loomd.process.ProcessMonitor;
import loomd.spawner.Output;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.Spawner;

/**
 * One {@code guix offload} process (daemon.md §6.2): stdin is the request channel, stdout and stderr
 * one reply/diagnostics pipe, fd 4 the build log. Started through the spawner in a session of its own
 * (so a kill reaches everything it forked), {@code chdir /}, with the daemon's environment. Used by one
 * thread at a time: the scheduler's while it asks, then the goal's that the hook accepted.
 */
public final class HookProcess implements AutoCloseable {
    private final SpawnedProcess child;
    private final MonitoredProcess watched;
    private final Pipe.SinkChannel toHook;
    private final InputStream fromHook;
    private final InputStream builderOut;

    private HookProcess(SpawnedProcess child, MonitoredProcess watched, Pipe.SinkChannel toHook, Pipe.SourceChannel log) {
        this.child = child;
        this.watched = watched;
        this.toHook = toHook;
        this.fromHook = child.output();
        this.builderOut = Channels.newInputStream(log);
    }

    /** Starts {@code argv} (argv[0] is the program); waits, parked, until it has exec'd. */
    public static HookProcess start(Spawner spawner, ProcessMonitor monitor, List<String> argv,
            Map<String, String> env) throws IOException, InterruptedException {
        Pipe toHook = Pipe.open();
        Pipe log = Pipe.open();
        try {
            SpawnRequest request = SpawnRequest.builder().program(argv.getFirst()).argv(argv)
                    .env(new java.util.TreeMap<>(env)).cwd("/").stdin(toHook.source()).output(Output.CAPTURE)
                    .extraFd(4, Fds.fdOf(log.sink())).build();
            SpawnedProcess child = spawner.spawn(request).get();
            // Idle, the hook is under no limit: it waits for requests (§4.2 applies limits to hook builds only).
            return new HookProcess(child, monitor.watch(child, Limits.NONE), toHook.sink(), log.source());
        } catch (ExecutionException e) {
            toHook.sink().close();
            log.source().close();
            throw new IOException("cannot start the build hook `" + argv.getFirst() + "': "
                    + e.getCause().getMessage(), e.getCause());
        } finally {
            toHook.source().close(); // the child holds its own copies now
            log.sink().close();
        }
    }

    public long pid() {
        return child.pid();
    }

    /**
     * §6.3 steps 1 and 2: writes {@code line}, then reads lines until one starts with {@code "# "},
     * handing every other line (with its newline) to {@code forward}; returns the word after {@code "# "}.
     *
     * @throws StoreException {@code unexpected EOF reading a line} when the hook closes its output first
     */
    public String ask(String line, Consumer<String> forward) throws IOException {
        writeLine(line);
        while (true) {
            String s = readLine();
            if (s.startsWith("# ")) {
                return s.substring(2);
            }
            forward.accept(s + "\n");
        }
    }

    /** §6.3 step 3, accept: the inputs line, the outputs line (each path followed by a space), then EOF. */
    public void sendPaths(Collection<String> inputs, Collection<String> outputs) throws IOException {
        writeLine(spaced(inputs));
        writeLine(spaced(outputs));
        toHook.close();
    }

    private static String spaced(Collection<String> paths) {
        StringBuilder sb = new StringBuilder();
        paths.forEach(p -> sb.append(p).append(' '));
        return sb.toString();
    }

    private void writeLine(String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            toHook.write(b);
        }
    }

    /** Byte by byte, as upstream's readLine: nothing past the newline is consumed, so the pump gets it all. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int c; (c = fromHook.read()) != '\n'; ) {
            if (c < 0) {
                throw new StoreException("unexpected EOF reading a line");
            }
            line.write(c);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** The hook's stdout and stderr (forwarded only). */
    public InputStream diagnostics() {
        return fromHook;
    }

    /** fd 4: the remote builder's output (logged and forwarded). */
    public InputStream builderOutput() {
        return builderOut;
    }

    public SpawnedProcess child() {
        return child;
    }

    /** Kills the hook's process group and closes the daemon's ends; its exit is still reported. */
    @Override
    public void close() {
        watched.kill();
        closeQuietly(toHook);
        closeQuietly(fromHook);
        closeQuietly(builderOut);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // only releases descriptors of a hook being dropped
        }
    }
}
