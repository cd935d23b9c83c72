package loomd.protocol.ops;

import java.io.IOException;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * The reply of {@code wopFindRoots} (protocol.md §6.14): (root link, store path) pairs sorted by
 * link. A big system has many roots, so the count is bounded like a path list, not like option
 * pairs, and each string like a path.
 */
public record RootsReply(List<Map.Entry<String, String>> roots) implements Reply {
    public RootsReply {
        roots = List.copyOf(roots);
    }

    public static RootsReply read(WireReader in, int minor) throws IOException {
        int count = in.readCount(LimitKind.LIST);
        List<Map.Entry<String, String>> roots = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            String link = in.readString(LimitKind.PATH);
            String target = in.readString(LimitKind.PATH);
            roots.add(new SimpleImmutableEntry<>(link, target));
        }
        return new RootsReply(roots);
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeStringPairs(roots);
    }
}
