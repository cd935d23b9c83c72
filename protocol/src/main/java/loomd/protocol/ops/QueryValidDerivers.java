package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryValidDerivers} (33, §6.33). */
public record QueryValidDerivers(String path) implements PathRequest<PathsReply> {
    public static QueryValidDerivers read(WireReader in, int minor) throws IOException {
        return new QueryValidDerivers(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_VALID_DERIVERS;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
