package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/** A {@code string} reply: a store path, a NAR hash in base16, a deriver, or "". */
public record StringReply(String value) implements Reply {
    public static StringReply read(WireReader in, int minor) throws IOException {
        return new StringReply(in.readString(LimitKind.PATH));
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeString(value);
    }
}
