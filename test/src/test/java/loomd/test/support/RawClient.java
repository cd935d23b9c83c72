package loomd.test.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.time.Duration;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.StderrCode;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.testkit.Poll;

/**
 * A byte-level client for tests that must send what no well-behaved client sends: raw fields,
 * lies, truncations. {@link #awaitReply()} skips NEXT frames and returns null on LAST or the
 * message of an ERROR.
 */
public final class RawClient implements AutoCloseable {
    public final SocketChannel channel;
    public final WireReader in;
    public final WireWriter out;

    public RawClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new WireReader(Channels.newInputStream(channel));
        this.out = new WireWriter(Channels.newOutputStream(channel));
    }

    /** The client side of the handshake for version 0x164; throws unless it ends with LAST. */
    public RawClient handshake() throws IOException {
        return handshake(true);
    }

    /** As {@link #handshake()}, with the client's reserveSpace flag. */
    public RawClient handshake(boolean reserveSpace) throws IOException {
        out.writeU64(0x6e697863L);
        out.flush();
        if (in.readU64() != 0x6478696fL || in.readU64() != 0x164) {
            throw new IOException("bad daemon greeting");
        }
        out.writeU64(0x164);
        out.writeU64(0);
        out.writeBool(reserveSpace);
        out.flush();
        String error = awaitReply();
        if (error != null) {
            throw new IOException("handshake failed: " + error);
        }
        return this;
    }

    /** Null after STDERR_LAST; the message after STDERR_ERROR (its status is read and dropped). */
    public String awaitReply() throws IOException {
        while (true) {
            long code = in.readU64();
            if (code == StderrCode.LAST) {
                return null;
            }
            if (code == StderrCode.NEXT || code == StderrCode.WRITE) {
                in.readBytes(LimitKind.BYTES);
            } else if (code == StderrCode.ERROR) {
                String message = in.readString(LimitKind.STRING);
                in.readU64();
                return message;
            } else {
                throw new IOException("unexpected frame code 0x" + Long.toHexString(code));
            }
        }
    }

    /** True if the daemon closed the connection (EOF or reset) within {@code timeout}, before sending anything. */
    public boolean closedByDaemon(Duration timeout) throws IOException {
        try {
            return readWithin(channel, ByteBuffer.allocate(64), timeout) < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * One read of a blocking channel that gives up after {@code timeout}: the number of bytes read,
     * -1 at EOF, 0 if nothing came in time. {@code buffer} must have room.
     */
    public static int readWithin(SocketChannel channel, ByteBuffer buffer, Duration timeout) throws IOException {
        channel.configureBlocking(false);
        try {
            return Poll.until(timeout, () -> channel.read(buffer), n -> n != 0);
        } finally {
            channel.configureBlocking(true);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
