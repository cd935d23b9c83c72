package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopBuiltinBuilders} (80, §6.80). */
public record BuiltinBuilders() implements NoFieldsRequest<NamesReply> {
    public static BuiltinBuilders read(WireReader in, int minor) {
        return new BuiltinBuilders();
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.BUILTIN_BUILDERS;
    }

    @Override
    public NamesReply readReply(WireReader in, int minor) throws IOException {
        return NamesReply.read(in, minor);
    }
}
