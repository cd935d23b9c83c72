package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopQueryPathFromHashPart} (29, protocol.md §6.29): the valid path with this hash part, or
 * "". The hash part is a plain string, checked by the store inside the work phase.
 */
public record QueryPathFromHashPart(String hashPart) implements Request<StringReply> {
    public static QueryPathFromHashPart read(WireReader in, int minor) throws IOException {
        return new QueryPathFromHashPart(in.readString(LimitKind.PATH));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_PATH_FROM_HASH_PART;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeString(hashPart);
    }

    @Override
    public StringReply readReply(WireReader in, int minor) throws IOException {
        return StringReply.read(in, minor);
    }
}
