package loomd.protocol.client;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.ProtocolException;
import loomd.protocol.wire.ProtocolVersion;
import loomd.protocol.wire.StderrCode;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * One handshaken worker-protocol connection, client side: the framing the Guix client uses
 * (protocol.md §3-§5). {@link StoreClient} builds the operations on top of it. Not thread-safe:
 * one thread at a time (the protocol is strictly request/response).
 */
public final class StoreConnection implements Closeable {
    private final WireReader in;
    private final WireWriter out;
    private final Closeable resource;
    private final ClientOptions options;
    private final long daemonVersion;

    private StoreConnection(WireReader in, WireWriter out, Closeable resource, ClientOptions options,
            long daemonVersion) {
        this.in = in;
        this.out = out;
        this.resource = resource;
        this.options = options;
        this.daemonVersion = daemonVersion;
    }

    /**
     * Runs the client side of the handshake over the given streams, including the stderr phase in
     * which the daemon opens the store. {@code resource} is closed by {@link #close()}.
     */
    public static StoreConnection handshake(InputStream input, OutputStream output, Closeable resource,
            ClientOptions options) throws IOException {
        try {
            return handshakeOrThrow(input, output, resource, options);
        } catch (IOException | RuntimeException e) {
            try {
                if (resource != null) {
                    resource.close();
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static StoreConnection handshakeOrThrow(InputStream input, OutputStream output, Closeable resource,
            ClientOptions options) throws IOException {
        WireReader in = new WireReader(input, options.limits());
        WireWriter out = new WireWriter(output);
        out.writeU64(ProtocolVersion.WORKER_MAGIC_1);
        out.flush();
        // The client compares only the low 32 bits of int fields.
        long magic = in.readU64() & 0xffffffffL;
        if (magic != ProtocolVersion.WORKER_MAGIC_2) {
            throw new HandshakeException("bad magic 0x" + Long.toHexString(magic));
        }
        long version = in.readU64() & 0xffffffffL;
        if (ProtocolVersion.major(version) != ProtocolVersion.major(ProtocolVersion.PROTOCOL_VERSION)) {
            throw new HandshakeException("incompatible daemon version 0x" + Long.toHexString(version));
        }
        out.writeU64(ProtocolVersion.PROTOCOL_VERSION);
        int minor = ProtocolVersion.minor(version);
        if (minor >= 14) {
            out.writeBool(options.cpuAffinity().isPresent());
            if (options.cpuAffinity().isPresent()) {
                out.writeU64(options.cpuAffinity().getAsInt());
            }
        }
        if (minor >= 11) {
            out.writeBool(options.reserveSpace());
        }
        out.flush();
        StoreConnection connection = new StoreConnection(in, out, resource, options, version);
        connection.processStderr(null, null);
        return connection;
    }

    /** The version word the daemon announced (0x164 for guix-daemon and loomd). */
    public long daemonVersion() {
        return daemonVersion;
    }

    public int daemonMinor() {
        return ProtocolVersion.minor(daemonVersion);
    }

    public WireReader in() {
        return in;
    }

    public WireWriter out() {
        return out;
    }

    /** Starts an operation: writes its code. Fields follow through {@link #out()}. */
    public void beginOp(int code) throws IOException {
        out.writeU64(code);
    }

    /** Flushes the request and runs the stderr loop with no data sink or source. */
    public void finishRequest() throws IOException {
        finishRequest(null, null);
    }

    /** Flushes the request and runs the stderr loop until {@code STDERR_LAST}. */
    public void finishRequest(OutputStream sink, InputStream source) throws IOException {
        out.flush();
        processStderr(sink, source);
    }

    /**
     * Reads stderr frames until {@code STDERR_LAST}: NEXT goes to the log, READ is answered from
     * {@code source}, WRITE is copied to {@code sink}, ERROR becomes a {@link DaemonException}.
     */
    public void processStderr(OutputStream sink, InputStream source) throws IOException {
        while (true) {
            long code = readInt();
            if (code == StderrCode.LAST) {
                return;
            } else if (code == StderrCode.NEXT) {
                options.log().accept(new String(in.readBytes(LimitKind.BYTES), StandardCharsets.UTF_8));
            } else if (code == StderrCode.READ) {
                answerRead(source, readInt());
            } else if (code == StderrCode.WRITE) {
                byte[] data = in.readBytes(LimitKind.BYTES);
                if (sink == null) {
                    throw new ProtocolException("daemon sent STDERR_WRITE to an operation without a sink");
                }
                sink.write(data);
            } else if (code == StderrCode.ERROR) {
                String message = new String(in.readBytes(LimitKind.STRING), StandardCharsets.UTF_8);
                // Like the client: no status from old daemons, or when the daemon hung up after the message.
                int status = daemonMinor() >= 8 ? (int) in.readUIntOrEof().orElse(1) : 1;
                throw new DaemonException(message, status);
            } else {
                throw new ProtocolException("invalid error code 0x" + Long.toHexString(code));
            }
        }
    }

    /** Like the Guix client: read up to {@code max} bytes (fewer only at end of input), send them. */
    private void answerRead(InputStream source, long max) throws IOException {
        if (source == null) {
            throw new ProtocolException("daemon sent STDERR_READ to an operation without a source");
        }
        int want = (int) Math.min(max, options.limits().maxBytesLength());
        byte[] data = source.readNBytes(want);
        out.writeBytes(data);
        out.flush();
    }

    /** Reads an {@code int} result as the client does: the low 32 bits. */
    public long readInt() throws IOException {
        return in.readLow32();
    }

    public boolean readBool() throws IOException {
        return readInt() != 0;
    }

    public ClientOptions options() {
        return options;
    }

    @Override
    public void close() throws IOException {
        Objects.requireNonNullElse(resource, () -> { }).close();
    }
}
