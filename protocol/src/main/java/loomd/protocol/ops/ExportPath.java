package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopExportPath} (16, protocol.md §6.16). The item travels through STDERR_WRITE frames in
 * the work phase; the reply is int 1.
 *
 * @param sign only the value 1 counts as true
 */
public record ExportPath(String path, boolean sign) implements Request<IntReply> {
    public static ExportPath read(WireReader in, int minor) throws IOException {
        String path = in.readString(LimitKind.PATH);
        boolean sign = in.readUInt() == 1;
        return new ExportPath(path, sign);
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.EXPORT_PATH;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeString(path);
        out.writeBool(sign);
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }

    @Override
    public List<String> storePaths() {
        return List.of(path);
    }
}
