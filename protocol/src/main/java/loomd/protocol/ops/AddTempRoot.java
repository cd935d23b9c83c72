package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopAddTempRoot} (11, §6.11): int 1. */
public record AddTempRoot(String path) implements PathRequest<IntReply> {
    public static AddTempRoot read(WireReader in, int minor) throws IOException {
        return new AddTempRoot(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.ADD_TEMP_ROOT;
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
