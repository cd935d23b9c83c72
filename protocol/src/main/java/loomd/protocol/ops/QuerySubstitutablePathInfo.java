package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopQuerySubstitutablePathInfo} (21, obsolete, §6.21): a path made absolute by the daemon, not
 * checked as a store path.
 */
public record QuerySubstitutablePathInfo(String path) implements StringRequest<SubstitutablePathInfoReply> {
    public static QuerySubstitutablePathInfo read(WireReader in, int minor) throws IOException {
        return new QuerySubstitutablePathInfo(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFO;
    }

    @Override
    public SubstitutablePathInfoReply readReply(WireReader in, int minor) throws IOException {
        return SubstitutablePathInfoReply.read(in, minor);
    }
}
