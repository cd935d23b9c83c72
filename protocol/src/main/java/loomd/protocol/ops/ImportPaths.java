package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopImportPaths} (27, §6.27): the bundle travels through STDERR_READ in the work phase; the
 * reply lists the imported paths in stream order.
 */
public record ImportPaths() implements NoFieldsRequest<PathsReply> {
    public static ImportPaths read(WireReader in, int minor) {
        return new ImportPaths();
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.IMPORT_PATHS;
    }

    @Override
    public PathsReply readReply(WireReader in, int minor) throws IOException {
        return PathsReply.read(in, minor);
    }
}
