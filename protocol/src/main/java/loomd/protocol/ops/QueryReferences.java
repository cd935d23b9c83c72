package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryReferences} (5, §6.4). */
public record QueryReferences(String path) implements PathRequest<PathsReply> {
    public static QueryReferences read(WireReader in, int minor) throws IOException {
        return new QueryReferences(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_REFERENCES;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
