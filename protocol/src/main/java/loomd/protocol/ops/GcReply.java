package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * The reply of {@code wopCollectGarbage} (protocol.md §6.20): the paths deleted (or the live/dead
 * set), the bytes freed as a u64, then an obsolete u64 0.
 */
public record GcReply(List<String> paths, long bytesFreed) implements Reply {
    public GcReply {
        paths = List.copyOf(paths);
    }

    public static GcReply read(WireReader in, int minor) throws IOException {
        List<String> paths = in.readStrings(LimitKind.PATH);
        long bytesFreed = in.readU64();
        in.readU64();
        return new GcReply(paths, bytesFreed);
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeStrings(paths);
        out.writeU64(bytesFreed);
        out.writeU64(0);
    }
}
