package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopEnsurePath} (10, §6.10): int 1 once the path is valid. */
public record EnsurePath(String path) implements PathRequest<IntReply> {
    public static EnsurePath read(WireReader in, int minor) throws IOException {
        return new EnsurePath(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.ENSURE_PATH;
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
