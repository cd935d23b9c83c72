package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQueryDerivationOutputs} (22, §6.22): the outputs of a .drv. */
public record QueryDerivationOutputs(String path) implements PathRequest<PathsReply> {
    public static QueryDerivationOutputs read(WireReader in, int minor) throws IOException {
        return new QueryDerivationOutputs(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_DERIVATION_OUTPUTS;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
