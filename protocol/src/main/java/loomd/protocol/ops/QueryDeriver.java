package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryDeriver} (18, §6.18): the deriver or "". */
public record QueryDeriver(String path) implements PathRequest<StringReply> {
    public static QueryDeriver read(WireReader in, int minor) throws IOException {
        return new QueryDeriver(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_DERIVER;
    }

    @Override
    public StringReply readReply(WireReader in, int minor) throws IOException {
        return StringReply.read(in, minor);
    }
}
