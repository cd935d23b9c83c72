package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopOptimiseStore} (34, §6.34): int 1. */
public record OptimiseStore() implements NoFieldsRequest<IntReply> {
    public static OptimiseStore read(WireReader in, int minor) {
        return new OptimiseStore();
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.OPTIMISE_STORE;
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
