package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * The reply of the obsolete {@code wopQuerySubstitutablePathInfo} (protocol.md §6.21): a found
 * flag, then, if found, the info; the NAR size only from minor 7 ({@link Gate#SUBSTITUTABLE_NAR_SIZE}),
 * 0 when absent.
 */
public record SubstitutablePathInfoReply(boolean found, String deriver, List<String> references, long downloadSize,
        long narSize) implements Reply {
    public static final SubstitutablePathInfoReply NOT_FOUND =
            new SubstitutablePathInfoReply(false, "", List.of(), 0, 0);

    public SubstitutablePathInfoReply {
        references = List.copyOf(references);
    }

    public static SubstitutablePathInfoReply read(WireReader in, int minor) throws IOException {
        if (in.readLow32() == 0) {
            return NOT_FOUND;
        }
        String deriver = in.readString(LimitKind.PATH);
        List<String> references = in.readStrings(LimitKind.PATH);
        long downloadSize = in.readU64();
        long narSize = Gate.SUBSTITUTABLE_NAR_SIZE.open(minor) ? in.readU64() : 0;
        return new SubstitutablePathInfoReply(true, deriver, references, downloadSize, narSize);
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeBool(found);
        if (!found) {
            return;
        }
        out.writeString(deriver);
        out.writeStrings(references);
        out.writeU64(downloadSize);
        if (Gate.SUBSTITUTABLE_NAR_SIZE.open(minor)) {
            out.writeU64(narSize);
        }
    }
}
