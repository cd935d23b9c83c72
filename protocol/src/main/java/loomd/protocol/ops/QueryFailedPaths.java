package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryFailedPaths} (24, §6.24). */
public record QueryFailedPaths() implements NoFieldsRequest<PathsReply> {
    public static QueryFailedPaths read(WireReader in, int minor) {
        return new QueryFailedPaths();
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_FAILED_PATHS;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
