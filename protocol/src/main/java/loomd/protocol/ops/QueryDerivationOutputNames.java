package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryDerivationOutputNames} (28, §6.28): the output names of a .drv, read like paths. */
public record QueryDerivationOutputNames(String path) implements PathRequest<PathsReply> {
    public static QueryDerivationOutputNames read(WireReader in, int minor) throws IOException {
        return new QueryDerivationOutputNames(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_DERIVATION_OUTPUT_NAMES;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
