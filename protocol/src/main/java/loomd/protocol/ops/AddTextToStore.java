package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopAddTextToStore} (8, protocol.md §6.8). The text is held whole (bounded by
 * {@link LimitKind#BYTES}); the references are store-paths.
 */
public record AddTextToStore(String name, byte[] text, List<String> references) implements Request<StringReply> {
    public AddTextToStore {
        references = List.copyOf(references);
    }

    public static AddTextToStore read(WireReader in, int minor) throws IOException {
        String name = in.readString(LimitKind.PATH);
        byte[] text = in.readBytes(LimitKind.BYTES);
        List<String> references = in.readStrings(LimitKind.PATH);
        return new AddTextToStore(name, text, references);
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.ADD_TEXT_TO_STORE;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeString(name);
        out.writeBytes(text);
        out.writeStrings(references);
    }

    @Override
    public StringReply readReply(WireReader in, int minor) throws IOException {
        return StringReply.read(in, minor);
    }

    @Override
    public List<String> storePaths() {
        return references;
    }
}
