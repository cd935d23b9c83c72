package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopClearFailedPaths} (25, §6.25): a plain string list, not checked as store paths; int 1. */
public record ClearFailedPaths(List<String> paths) implements StringsRequest<IntReply> {
    public ClearFailedPaths {
        paths = List.copyOf(paths);
    }

    public static ClearFailedPaths read(WireReader in, int minor) throws IOException {
        return new ClearFailedPaths(StringsRequest.readPaths(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.CLEAR_FAILED_PATHS;
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
