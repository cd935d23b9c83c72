package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryValidPaths} (31, §6.31): the valid ones among the paths. */
public record QueryValidPaths(List<String> paths) implements PathsRequest<PathsReply> {
    public QueryValidPaths {
        paths = List.copyOf(paths);
    }

    public static QueryValidPaths read(WireReader in, int minor) throws IOException {
        return new QueryValidPaths(StringsRequest.readPaths(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_VALID_PATHS;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
