package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopSyncWithGC} (13, §6.13): int 1 once no collector runs. */
public record SyncWithGC() implements NoFieldsRequest<IntReply> {
    public static SyncWithGC read(WireReader in, int minor) {
        return new SyncWithGC();
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.SYNC_WITH_GC;
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
