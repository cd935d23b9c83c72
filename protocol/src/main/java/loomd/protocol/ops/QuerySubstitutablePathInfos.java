package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopQuerySubstitutablePathInfos} (30, §6.30). */
public record QuerySubstitutablePathInfos(List<String> paths) implements PathsRequest<SubstitutablePathInfosReply> {
    public QuerySubstitutablePathInfos {
        paths = List.copyOf(paths);
    }

    public static QuerySubstitutablePathInfos read(WireReader in, int minor) throws IOException {
        return new QuerySubstitutablePathInfos(StringsRequest.readPaths(in));
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFOS;
    }

    @Override
    public SubstitutablePathInfosReply readReply(WireReader in, int minor) throws IOException {
        return SubstitutablePathInfosReply.read(in, minor);
    }
}
