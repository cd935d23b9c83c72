package loomd.protocol.ops;

import java.util.List;

/** A request of one list of store-paths (protocol.md §6.0): the daemon checks each with assertStorePath. */
public sealed interface PathsRequest<R extends Reply> extends StringsRequest<R>
        permits QuerySubstitutablePathInfos, QueryValidPaths, QuerySubstitutablePaths {

    @Override
    default List<String> storePaths() {
        return paths();
    }
}
