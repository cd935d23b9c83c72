package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopFindRoots} (14, §6.14). */
public record FindRoots() implements NoFieldsRequest<RootsReply> {
    public static FindRoots read(WireReader in, int minor) {
        return new FindRoots();
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.FIND_ROOTS;
    }

    @Override
    public RootsReply readReply(WireReader in, int minor) throws IOException {
        return RootsReply.read(in, minor);
    }
}
