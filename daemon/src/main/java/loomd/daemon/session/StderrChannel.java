package loomd.daemon.session;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import loomd.protocol.wire.ProtocolException;
import loomd.protocol.wire.StderrCode;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * The stderr channel of one connection and its work-phase state (protocol.md §4, §5).
 *
 * <p>State machine: IDLE --{@link #startWork()}--&gt; WORKING --{@link #stopWork()} or
 * {@link #fail}--&gt; IDLE. Frames other than LAST/ERROR are sent only while WORKING; daemon
 * messages produced while IDLE go to the daemon's own log. Whether an error is fatal is decided
 * by this state when the error surfaces ({@link #working()}), exactly as upstream's
 * {@code canSendStderr}. Confined to the session's thread.
 */
public final class StderrChannel {
    /** What upstream asks for in one STDERR_READ: its buffer size. */
    public static final int READ_CHUNK = 32768;

    private WireReader in;
    private WireWriter out;
    private final int clientMinor;
    private final ClientWatch watch;
    private final Consumer<String> daemonLog;
    private boolean working;
    private int verbosity;

    public StderrChannel(WireReader in, WireWriter out, int clientMinor, ClientWatch watch, int verbosity,
            Consumer<String> daemonLog) {
        this.in = in;
        this.out = out;
        this.clientMinor = clientMinor;
        this.watch = watch;
        this.verbosity = verbosity;
        this.daemonLog = daemonLog;
    }

    /** Points the channel at the buffers lent for the current operation. */
    void bind(WireReader reader, WireWriter writer) {
        this.in = reader;
        this.out = writer;
    }

    public boolean working() {
        return working;
    }

    public int verbosity() {
        return verbosity;
    }

    public void setVerbosity(int verbosity) {
        this.verbosity = verbosity;
    }

    /** Enters the work phase; like upstream, checks once that the client is still there. */
    public void startWork() {
        working = true;
        checkClient();
    }

    /** The hang-up probe of this session's socket. */
    ClientWatch watch() {
        return watch;
    }

    /** Throws {@link ClientGoneException} if the client hung up; an interruption point. */
    public void checkClient() {
        if (working && watch.gone()) {
            working = false;
            throw new ClientGoneException("client hung up during an operation");
        }
    }

    /** Leaves the work phase with STDERR_LAST; the caller then writes the result and flushes. */
    public void stopWork() throws IOException {
        working = false;
        out.writeUInt(StderrCode.LAST);
    }

    /** Leaves the work phase (or answers outside it) with STDERR_ERROR. */
    public void fail(String message, int status) throws IOException {
        working = false;
        out.writeUInt(StderrCode.ERROR);
        out.writeString(message);
        if (clientMinor >= 8) {
            out.writeUInt(status == 0 ? 1 : Integer.toUnsignedLong(status));
        }
        out.flush();
    }

    /** A daemon message at {@code level} (0 error .. 5 vomit), {@code \n} appended. */
    public void message(int level, String text) throws IOException {
        if (level > verbosity) {
            return;
        }
        if (working) {
            out.writeUInt(StderrCode.NEXT);
            out.writeBytes((text + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } else {
            daemonLog.accept(text);
        }
    }

    /** One STDERR_NEXT frame holding {@code text} as is (builder output: raw bytes, multiplex header included). */
    public void next(byte[] text) throws IOException {
        out.writeUInt(StderrCode.NEXT);
        out.writeBytes(text);
        out.flush();
    }

    /** Sends one STDERR_WRITE frame. */
    public void write(byte[] data, int offset, int length) throws IOException {
        out.writeUInt(StderrCode.WRITE);
        out.writeBytes(data, offset, length);
    }

    /** Flushes frames so far; checks the client is still there (an interruption point). */
    public void flush() throws IOException {
        out.flush();
        checkClient();
    }

    /**
     * Asks the client for at most {@code max} bytes (STDERR_READ) and reads its reply into
     * {@code target}. The hang-up probe is off while waiting: the client is expected to talk.
     *
     * @return the number of bytes the client sent, at least 1
     */
    public int read(byte[] target, int offset, int max) throws IOException {
        // As upstream's TunnelSource: while waiting for the reply we are not working, so a
        // malformed reply is fatal; only an empty reply is an ordinary (recoverable) error.
        working = false;
        out.writeUInt(StderrCode.READ);
        out.writeUInt(max);
        out.flush();
        long length = in.readUInt();
        if (length > max) {
            throw new ProtocolException("client sent " + length + " bytes where at most " + max + " were asked for");
        }
        in.readFully(target, offset, (int) length);
        in.skipPadding(length);
        working = true;
        if (length == 0) {
            throw new ProtocolException("unexpected end-of-file");
        }
        checkClient();
        return (int) length;
    }

}
