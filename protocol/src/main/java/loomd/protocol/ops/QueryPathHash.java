package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryPathHash} (4, §6.3): the base16 SHA-256 of the path's NAR. */
public record QueryPathHash(String path) implements PathRequest<StringReply> {
    public static QueryPathHash read(WireReader in, int minor) throws IOException {
        return new QueryPathHash(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_PATH_HASH;
    }

    @Override
    public StringReply readReply(WireReader in, int minor) throws IOException {
        return StringReply.read(in, minor);
    }
}
