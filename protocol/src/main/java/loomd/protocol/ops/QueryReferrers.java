package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryReferrers} (6, §6.5). */
public record QueryReferrers(String path) implements PathRequest<PathsReply> {
    public static QueryReferrers read(WireReader in, int minor) throws IOException {
        return new QueryReferrers(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_REFERRERS;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
