package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/** An {@code int} reply: a bool, the usual {@code int 1}, or ExportPath's status (1 is success). */
public record IntReply(long value) implements Reply {
    public static final IntReply ZERO = new IntReply(0);
    public static final IntReply ONE = new IntReply(1);

    public static IntReply of(boolean value) {
        return value ? ONE : ZERO;
    }

    public static IntReply read(WireReader in, int minor) throws IOException {
        return new IntReply(in.readLow32());
    }

    /** The client's reading of a bool: anything but 0. */
    public boolean isTrue() {
        return value != 0;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeUInt(value);
    }
}
