package loomd.protocol.ops;

import java.util.List;

/** A request of one store-path field (protocol.md §6.0): the daemon checks it with assertStorePath. */
public sealed interface PathRequest<R extends Reply> extends StringRequest<R>
        permits IsValidPath, HasSubstitutes, QueryPathHash, QueryReferences, QueryReferrers, EnsurePath,
        AddTempRoot, QueryDeriver, QueryDerivationOutputs, QueryPathInfo, QueryDerivationOutputNames,
        QueryValidDerivers {

    @Override
    default List<String> storePaths() {
        return List.of(path());
    }
}
