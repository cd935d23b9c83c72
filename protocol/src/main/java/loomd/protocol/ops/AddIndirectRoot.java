package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopAddIndirectRoot} (12, §6.12): a file name, not checked as a store path; int 1. */
public record AddIndirectRoot(String path) implements StringRequest<IntReply> {
    public static AddIndirectRoot read(WireReader in, int minor) throws IOException {
        return new AddIndirectRoot(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.ADD_INDIRECT_ROOT;
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
