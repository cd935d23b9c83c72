package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQuerySubstitutablePaths} (32, §6.32). */
public record QuerySubstitutablePaths(List<String> paths) implements PathsRequest<PathsReply> {
    public QuerySubstitutablePaths {
        paths = List.copyOf(paths);
    }

    public static QuerySubstitutablePaths read(WireReader in, int minor) throws IOException {
        return new QuerySubstitutablePaths(StringsRequest.readPaths(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_SUBSTITUTABLE_PATHS;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
