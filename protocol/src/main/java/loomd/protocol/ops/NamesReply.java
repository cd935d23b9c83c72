package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/** A string list of names, not paths (builder names, substitute URLs): bounded like plain strings. */
public record NamesReply(List<String> names) implements Reply {
    public NamesReply {
        names = List.copyOf(names);
    }

    public static NamesReply read(WireReader in, int minor) throws IOException {
        return new NamesReply(in.readStrings(LimitKind.STRING));
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeStrings(names);
    }
}
