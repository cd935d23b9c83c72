package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopIsValidPath} (1, protocol.md §6.1): whether the path is valid. The path is a plain string
 * on the wire; the daemon checks it as a store path only inside the work phase, so a bad one is
 * recoverable.
 */
public record IsValidPath(String path) implements PathRequest<IntReply> {
    public static IsValidPath read(WireReader in, int minor) throws IOException {
        return new IsValidPath(StringRequest.readPath(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.IS_VALID_PATH;
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
