package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopAddToStore} (7, protocol.md §6.7): the fixed fields. One complete NAR follows them on
 * the wire, unframed; the caller streams it (client) or parses it to its end (daemon).
 *
 * @param fixed obsolete; the Guix client always sends 1. Only the value 1 counts as true.
 * @param recursive only the value 1 counts as true (NAR hash); anything else is flat
 */
public record AddToStore(String name, boolean fixed, boolean recursive, String algo)
        implements Request<StringReply> {

    public static AddToStore read(WireReader in, int minor) throws IOException {
        String name = in.readString(LimitKind.PATH);
        boolean fixed = in.readUInt() == 1;
        boolean recursive = in.readUInt() == 1;
        String algo = in.readString(LimitKind.STRING);
        return new AddToStore(name, fixed, recursive, algo);
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.ADD_TO_STORE;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeString(name);
        out.writeBool(fixed);
        out.writeBool(recursive);
        out.writeString(algo);
    }

    @Override
    public StringReply readReply(WireReader in, int minor) throws IOException {
        return StringReply.read(in, minor);
    }
}
