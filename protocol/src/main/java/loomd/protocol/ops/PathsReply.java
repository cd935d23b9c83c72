package loomd.protocol.ops;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.Utf8Order;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * A path-set or a string list of paths, each element bounded like a path. The daemon sends a
 * path-set sorted in byte order ({@link #sorted}); ImportPaths' list keeps stream order.
 */
public record PathsReply(List<String> paths) implements Reply {
    public PathsReply {
        paths = List.copyOf(paths);
    }

    /** A path-set: duplicates gone, in byte order, whatever order {@code paths} has. */
    public static PathsReply sorted(Collection<String> paths) {
        if (paths instanceof SortedSet<String> set && set.comparator() == Utf8Order.COMPARATOR) {
            return new PathsReply(List.copyOf(set));
        }
        SortedSet<String> set = new TreeSet<>(Utf8Order.COMPARATOR);
        set.addAll(paths);
        return new PathsReply(List.copyOf(set));
    }

    public static PathsReply read(WireReader in, int minor) throws IOException {
        return new PathsReply(in.readStrings(LimitKind.PATH));
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeStrings(paths);
    }
}
