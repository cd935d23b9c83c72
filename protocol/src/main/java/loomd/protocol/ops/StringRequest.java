package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * A request of one {@code string} field holding a path, bounded like a path. A plain string is
 * not checked as a store path; {@link PathRequest}, the store-path case, is.
 */
public sealed interface StringRequest<R extends Reply> extends Request<R>
        permits PathRequest, AddIndirectRoot, QuerySubstitutablePathInfo {

    String path();

    @Override
    default void write(WireWriter out, int minor) throws IOException {
        out.writeString(path());
    }

    /** The one field. */
    static String readPath(WireReader in) throws IOException {
        return in.readString(LimitKind.PATH);
    }
}
