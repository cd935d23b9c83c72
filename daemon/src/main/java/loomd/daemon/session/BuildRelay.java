package loomd.daemon.session;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import loomd.daemon.build.BuildEvents;
import loomd.daemon.build.TraceLines;

/**
 * Carries a build operation's messages and builder output from the build threads to the session's
 * own thread, which alone writes to the client (the channel is session-confined). The session thread
 * {@link #relayUntil relays} until the operation is over, probing for a client hang-up between
 * events; a hang-up ends the relay with {@link ClientGoneException}.
 */
final class BuildRelay implements BuildEvents {
    /** How often the session looks for a hang-up while nothing happens. */
    static final long PROBE_MILLIS = 100;

    private sealed interface Event permits Message, Chunk {}

    private record Message(int level, String text) implements Event {}

    private record Chunk(long pid, byte[] data) implements Event {}

    private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();

    @Override
    public void message(int level, String text) {
        queue.add(new Message(level, text));
    }

    @Override
    public void log(long pid, byte[] data, int off, int len) {
        queue.add(new Chunk(pid, Arrays.copyOfRange(data, off, off + len)));
    }

    /**
     * Writes events to the client until {@code done} completes and every event before its completion
     * is written. Builder output is forwarded when the session's verbosity reaches {@code buildVerbosity},
     * behind the {@code @ build-log} header when {@code multiplexed}.
     */
    void relayUntil(SessionContext s, CompletableFuture<?> done, int buildVerbosity, boolean multiplexed)
            throws IOException, InterruptedException {
        while (true) {
            Event e = queue.poll(PROBE_MILLIS, TimeUnit.MILLISECONDS);
            if (e == null) {
                if (done.isDone() && queue.isEmpty()) {
                    return;
                }
                s.stderr.checkClient();
                continue;
            }
            write(s, e, buildVerbosity, multiplexed);
        }
    }

    private static void write(SessionContext s, Event e, int buildVerbosity, boolean multiplexed) throws IOException {
        switch (e) {
            case Message m -> s.stderr.message(m.level(), m.text().endsWith("\n")
                    ? m.text().substring(0, m.text().length() - 1) : m.text());
            case Chunk c -> {
                if (s.stderr.verbosity() < buildVerbosity) {
                    return;
                }
                byte[] header = multiplexed
                        ? TraceLines.buildLogHeader(c.pid(), c.data().length).getBytes(StandardCharsets.UTF_8)
                        : new byte[0];
                byte[] frame = Arrays.copyOf(header, header.length + c.data().length);
                System.arraycopy(c.data(), 0, frame, header.length, c.data().length);
                s.stderr.next(frame);
                s.stderr.checkClient();
            }
        }
    }
}
