package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryPathInfo} (26, §6.26). */
public record QueryPathInfo(String path) implements PathRequest<PathInfoReply> {
    public static QueryPathInfo read(WireReader in, int minor) throws IOException {
        return new QueryPathInfo(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_PATH_INFO;
    }

    @Override
    public PathInfoReply readReply(WireReader in, int minor) throws IOException {
        return PathInfoReply.read(in, minor);
    }
}
