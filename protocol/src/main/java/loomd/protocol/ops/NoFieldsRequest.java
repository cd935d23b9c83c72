package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireWriter;

/** A request with no fields after the op code. */
public sealed interface NoFieldsRequest<R extends Reply> extends Request<R>
        permits SyncWithGC, FindRoots, QueryAllValidPaths, QueryFailedPaths, ImportPaths, OptimiseStore,
        BuiltinBuilders, SubstituteURLs {

    @Override
    default void write(WireWriter out, int minor) throws IOException {
    }
}
