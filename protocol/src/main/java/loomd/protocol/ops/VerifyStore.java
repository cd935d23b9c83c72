package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/** {@code wopVerifyStore} (35, protocol.md §6.35): the reply is 1 if errors remain. */
public record VerifyStore(boolean checkContents, boolean repair) implements Request<IntReply> {
    public static VerifyStore read(WireReader in, int minor) throws IOException {
        boolean checkContents = in.readBool();
        boolean repair = in.readBool();
        return new VerifyStore(checkContents, repair);
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.VERIFY_STORE;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeBool(checkContents);
        out.writeBool(repair);
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }
}
