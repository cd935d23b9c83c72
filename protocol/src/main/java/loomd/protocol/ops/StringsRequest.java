package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * A request of one string list of paths, in wire order: a count bounded like a list, each element
 * like a path. Plain strings are not checked as store paths; {@link PathsRequest} are.
 */
public sealed interface StringsRequest<R extends Reply> extends Request<R> permits PathsRequest, ClearFailedPaths {

    List<String> paths();

    @Override
    default void write(WireWriter out, int minor) throws IOException {
        out.writeStrings(paths());
    }

    /** The one field. */
    static List<String> readPaths(WireReader in) throws IOException {
        return in.readStrings(LimitKind.PATH);
    }
}
