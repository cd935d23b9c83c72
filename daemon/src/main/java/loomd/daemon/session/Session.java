package loomd.daemon.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import loomd.daemon.Layout;
import loomd.daemon.Settings;
import loomd.daemon.store.LocalStore;
import loomd.protocol.wire.ProtocolVersion;
import loomd.protocol.wire.WireLimits;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * One client connection, from handshake to close (protocol.md §3-§5), on its own virtual thread.
 *
 * <p>Lifecycle: HANDSHAKE (errors close silently, as upstream's child exits) -> OPEN (work phase
 * around the session start; an error is sent and the session ends) -> OPS (until EOF, a fatal
 * error or a hang-up) -> CLOSED. Everything the session acquired (the temp-roots file) is released
 * in one finally block; the caller owns and closes the channel.
 *
 * <p>Memory: between operations an idle session holds no wire buffers; it waits for the next op
 * code with an 8-byte read of its own and borrows a {@link WireBuffers} pair for the operation.
 */
public final class Session {
    /** The points of a session's start the server times out (see Progress). */
    public enum Phase { HANDSHAKEN, OPERATING }

    /**
     * Told when the client has completed its handshake and when it sends its first operation, so
     * the server can close connections that stay idle before either. False: the connection was
     * timed out and closed, the session ends.
     */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = phase -> true;

        boolean reached(Phase phase);
    }

    private static final int MAX_IDLE_BUFFERS = 256;
    private static final ConcurrentHashMap<WireLimits, WireBuffers.Pool> POOLS = new ConcurrentHashMap<>();

    /** The idle wire buffers of the pool for {@code limits}, for tests of buffer ownership. */
    static java.util.List<WireBuffers> idleBuffers(WireLimits limits) {
        WireBuffers.Pool p = POOLS.get(limits);
        return p == null ? java.util.List.of() : p.idleSnapshot();
    }

    private final SocketChannel channel;
    private final Peer peer;
    private final Settings settings;
    private final LocalStore store;
    private final Layout layout;
    private final int verbosity;
    private final WireLimits limits;
    private final Consumer<String> log;
    private final WireBuffers.Pool pool;
    private final Progress progress;
    /**
     * The wire buffers this session holds now, or null: the one record of ownership, so that a pair
     * given back in the op loop is never given back again when the loop ends by an exception.
     */
    private WireBuffers held;
    private final ByteBuffer opCode = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private ReadSpin spin;
    private InputStream rawIn;
    private OutputStream rawOut;
    /** The handshake's reserveSpace flag (true when the client is too old to send it). */
    private boolean reserveSpace = true;

    /**
     * @param settings the daemon's template; the session takes its own copy
     * @param verbosity the session's initial verbosity (the daemon's)
     * @param log the daemon's log, for messages outside a work phase
     */
    public Session(SocketChannel channel, Peer peer, Settings settings, LocalStore store, Layout layout,
            int verbosity, WireLimits limits, Consumer<String> log) {
        this(channel, peer, settings, store, layout, verbosity, limits, log, Progress.NONE);
    }

    /** @param progress told of the handshake's end and of the first operation */
    public Session(SocketChannel channel, Peer peer, Settings settings, LocalStore store, Layout layout,
            int verbosity, WireLimits limits, Consumer<String> log, Progress progress) {
        this.progress = progress;
        this.channel = channel;
        this.peer = peer;
        this.settings = settings.copy();
        this.store = store;
        this.layout = layout;
        this.verbosity = verbosity;
        this.limits = limits;
        this.log = log;
        this.pool = POOLS.computeIfAbsent(limits, l -> new WireBuffers.Pool(l, MAX_IDLE_BUFFERS));
    }

    /** Serves the connection until it ends; never throws. */
    public void run() {
        rawIn = Channels.newInputStream(channel);
        rawOut = Channels.newOutputStream(channel);
        held = pool.borrow(rawIn, rawOut);
        WireBuffers buffers = held;
        SessionContext context = null;
        try {
            long clientVersion = handshake(buffers.reader, buffers.writer);
            if (clientVersion < 0 || !progress.reached(Phase.HANDSHAKEN)) {
                return;
            }
            ClientWatch watch = ClientWatch.of(channel);
            spin = new ReadSpin(watch);
            StderrChannel stderr = new StderrChannel(buffers.reader, buffers.writer, (int) (clientVersion & 0xff),
                    watch, verbosity, log);
            context = new SessionContext(peer, settings, store, layout, buffers.reader, buffers.writer, stderr,
                    clientVersion, log);
            if (open(context)) {
                buffers.flushed = true;
                serve(context);
            }
        } catch (IOException e) {
            log.accept("connection from " + peer.description() + " ended: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            log.accept("unexpected build daemon error: " + e);
        } finally {
            if (context != null) {
                context.closeRoots();
            }
            if (held != null) {
                pool.release(held);
                held = null;
            }
        }
    }

    /** Returns the client version, or -1 when the connection must close without a reply. */
    private long handshake(WireReader in, WireWriter out) throws IOException {
        long magic;
        try {
            magic = in.readUInt();
        } catch (IOException e) {
            return -1;
        }
        if (magic != ProtocolVersion.WORKER_MAGIC_1) {
            log.accept("error: protocol mismatch from " + peer.description());
            return -1;
        }
        out.writeUInt(ProtocolVersion.WORKER_MAGIC_2);
        out.writeUInt(ProtocolVersion.PROTOCOL_VERSION);
        out.flush();
        long clientVersion = in.readUInt();
        int minor = ProtocolVersion.minor(clientVersion);
        if (minor >= 14 && in.readBool()) {
            in.readUInt(); // CPU affinity: read, not honoured (protocol.md §3 allows that)
        }
        if (minor >= 11) {
            reserveSpace = in.readBool();
        }
        return clientVersion;
    }

    /** The work phase around the session start; false if it failed and the session ends. */
    private boolean open(SessionContext s) throws IOException {
        try {
            s.stderr.startWork();
            // Upstream opens its store here: it keeps <db>/reserved, so GC can run on a full disk.
            store.gc().reserveSpace(reserveSpace);
            if (peer.uidKnown()) {
                Passwd.Entry user = Passwd.byUid(peer.uid());
                if (user == null) {
                    s.stderr.message(1, "user with UID " + peer.uid() + " not found");
                } else {
                    UserProfiles.create(layout.stateDir(), user.name(), peer.uid(), s.stderr);
                }
            }
            s.stderr.stopWork();
            s.out.flush();
            return true;
        } catch (ClientGoneException e) {
            return false;
        } catch (Exception e) {
            ErrorMapping.WireError error = ErrorMapping.toWire(e);
            s.stderr.fail(error.message(), 1);
            return false;
        }
    }

    /**
     * The op loop; the buffers it holds when it ends stay in {@link #held} for the caller to give
     * back. A session keeps its buffers while {@link ReadSpin} sees the next request come quickly
     * (one read for the whole request); it gives them back before it parks for a slow one.
     */
    private void serve(SessionContext s) throws IOException {
        Dispatcher dispatcher = new Dispatcher(s);
        boolean operating = false;
        while (true) {
            long op;
            if (held != null && held.reusable() && !spin.awaitReadable()) {
                WireBuffers idle = held;
                held = null;
                pool.release(idle);
            }
            WireBuffers buffers = held;
            if (buffers == null) {
                op = readOpCode();
                if (op < 0) {
                    return;
                }
                buffers = pool.borrow(rawIn, rawOut);
                held = buffers;
                s.bind(buffers);
            } else {
                // More than one request sent at once, or the next one caught by the spin: read
                // on from the buffer.
                try {
                    if (buffers.reader.atEndOfStream()) {
                        return;
                    }
                    op = buffers.reader.readUInt();
                } catch (IOException e) {
                    return;
                }
            }
            if (!operating) {
                if (!progress.reached(Phase.OPERATING)) {
                    return;
                }
                operating = true;
            }
            spin.arrived();
            try {
                buffers.flushed = false;
                dispatcher.perform(op);
                s.out.flush();
                buffers.flushed = true;
            } catch (ClientGoneException e) {
                log.accept("client " + peer.description() + " hung up during an operation");
                held = null; // may hold unsent bytes: never lent again
                return;
            } catch (Throwable t) {
                boolean goOn = report(s, t);
                buffers.flushed = true; // fail() flushed, or threw out of this method
                if (!goOn) {
                    return;
                }
            } finally {
                spin.finished();
            }
        }
    }

    /**
     * Waits for the next op code without wire buffers. Returns -1 at end of stream, for a torn
     * code, or for one with high bytes set: upstream's session then ends without a reply.
     */
    private long readOpCode() throws IOException {
        opCode.clear();
        while (opCode.hasRemaining()) {
            if (channel.read(opCode) < 0) {
                return -1;
            }
        }
        long op = opCode.getLong(0);
        return (op >>> 32) != 0 ? -1 : op;
    }

    /** Sends the error to the client; true if the session goes on. */
    private boolean report(SessionContext s, Throwable t) throws IOException {
        ErrorMapping.WireError error = ErrorMapping.toWire(t);
        boolean recoverable = s.stderr.working() && !error.alwaysFatal();
        if (error.alwaysFatal()) {
            log.accept("error in session of " + peer.description() + ": " + t);
        }
        s.stderr.fail(error.message(), error.status());
        return recoverable;
    }
}
