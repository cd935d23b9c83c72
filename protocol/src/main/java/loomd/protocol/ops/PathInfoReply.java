package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * The reply of {@code wopQueryPathInfo} (protocol.md §6.26).
 *
 * @param deriver the deriver or ""
 * @param narHash 64 lowercase hex digits, no prefix
 * @param references a path-set
 * @param registrationTime Unix seconds; an {@code int} on the wire, so only the low 32 bits travel
 * @param narSize a u64, 0 if unknown
 */
public record PathInfoReply(String deriver, String narHash, List<String> references, long registrationTime,
        long narSize) implements Reply {
    public PathInfoReply {
        references = List.copyOf(references);
    }

    public static PathInfoReply read(WireReader in, int minor) throws IOException {
        String deriver = in.readString(LimitKind.PATH);
        String narHash = in.readString(LimitKind.STRING);
        List<String> references = in.readStrings(LimitKind.PATH);
        long registrationTime = in.readLow32();
        long narSize = in.readU64();
        return new PathInfoReply(deriver, narHash, references, registrationTime, narSize);
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeString(deriver);
        out.writeString(narHash);
        out.writeStrings(references);
        out.writeUInt(registrationTime & 0xFFFFFFFFL);
        out.writeU64(narSize);
    }
}
