package loomd.protocol.ops;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/** Nothing after {@code STDERR_LAST} ({@code wopSetOptions}). */
public record NoReply() implements Reply {
    public static final NoReply INSTANCE = new NoReply();

    public static NoReply read(WireReader in, int minor) {
        return INSTANCE;
    }

    @Override
    public void write(WireWriter out, int minor) {
    }
}
