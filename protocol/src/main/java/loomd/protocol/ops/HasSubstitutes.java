package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopHasSubstitutes} (3, §6.2): whether a substituter has the path. */
public record HasSubstitutes(String path) implements PathRequest<IntReply> {
    public static HasSubstitutes read(WireReader in, int minor) throws IOException {
        return new HasSubstitutes(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.HAS_SUBSTITUTES;
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
