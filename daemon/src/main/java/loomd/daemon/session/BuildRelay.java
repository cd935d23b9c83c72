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
 * {@link #relayUntil relays} until the operation is over; a hang-up ends the relay with
 * {@link ClientGoneException}. The hang-up is told by a {@link HangupWatch} ({@link #hangUp}) the
 * moment it happens; without one (JDK internals missing) the relay probes between events.
 */
final class BuildRelay implements BuildEvents {
    /** How often the session looks for a hang-up while nothing happens, when nothing tells it. */
    static final long PROBE_MILLIS = 100;

    private sealed interface Event permits Message, Chunk, Signal {}

    /** Not from a build: the operation is over, or the client hung up. */
    private enum Signal implements Event { DONE, GONE }

    private record Message(int level, String text) implements Event {}

    private record Chunk(long pid, byte[] data) implements Event {}

    /**
     * Chunks of builder output queued at most (4096 bytes each, so 1 MiB): a builder that writes
     * faster than the client reads is held at its pipe (its pump parks here) instead of filling the
     * daemon's heap, as upstream's single loop blocks on the client too.
     */
    static final int MAX_QUEUED_CHUNKS = 256;

    private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final java.util.concurrent.Semaphore chunkCredit = new java.util.concurrent.Semaphore(MAX_QUEUED_CHUNKS);
    /** False once the relay has stopped: output is dropped from then on, so no pump waits for credit. */
    private volatile boolean relaying = true;

    @Override
    public void message(int level, String text) {
        queue.add(new Message(level, text));
    }

    @Override
    public void log(long pid, byte[] data, int off, int len) {
        if (!relaying) {
            return;
        }
        chunkCredit.acquireUninterruptibly(); // parks the pump (a virtual thread) while the client lags
        if (!relaying) {
            chunkCredit.release();
            return;
        }
        queue.add(new Chunk(pid, Arrays.copyOfRange(data, off, off + len)));
    }

    /** The relay is over (done, client gone, error): frees any pump waiting for credit, for good. */
    private void stop() {
        relaying = false;
        chunkCredit.release(MAX_QUEUED_CHUNKS);
    }

    /** The client hung up: the relay ends at once, whatever is still queued. */
    void hangUp() {
        queue.add(Signal.GONE);
    }

    /**
     * Writes events to the client until {@code done} completes and every event before its completion
     * is written. Builder output is forwarded when the session's verbosity reaches {@code buildVerbosity},
     * behind the {@code @ build-log} header when {@code multiplexed}.
     */
    void relayUntil(SessionContext s, CompletableFuture<?> done, int buildVerbosity, boolean multiplexed,
            boolean watched) throws IOException, InterruptedException {
        // Every event of the operation is queued before its end: FIFO, so DONE comes after them all.
        done.whenComplete((r, error) -> queue.add(Signal.DONE));
        try {
            relay(s, watched, buildVerbosity, multiplexed);
        } finally {
            stop();
        }
    }

    private void relay(SessionContext s, boolean watched, int buildVerbosity, boolean multiplexed)
            throws IOException, InterruptedException {
        while (true) {
            Event e = watched ? queue.take() : queue.poll(PROBE_MILLIS, TimeUnit.MILLISECONDS);
            if (e == null) {
                s.stderr.checkClient();
                continue;
            }
            switch (e) {
                case Signal.DONE -> {
                    return;
                }
                case Signal.GONE -> {
                    s.stderr.checkClient();
                    throw new ClientGoneException("client hung up during an operation");
                }
                default -> {
                    if (e instanceof Chunk) {
                        chunkCredit.release();
                    }
                    write(s, e, buildVerbosity, multiplexed);
                }
            }
        }
    }

    private static void write(SessionContext s, Event e, int buildVerbosity, boolean multiplexed) throws IOException {
        switch (e) {
            case Signal sig -> throw new IllegalStateException(sig.name());
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
