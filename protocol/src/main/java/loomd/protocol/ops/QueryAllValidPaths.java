package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryAllValidPaths} (23, §6.23). */
public record QueryAllValidPaths() implements NoFieldsRequest<PathsReply> {
    public static QueryAllValidPaths read(WireReader in, int minor) {
        return new QueryAllValidPaths();
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_ALL_VALID_PATHS;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
