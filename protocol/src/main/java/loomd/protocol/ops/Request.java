package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * The request of one worker operation: the fields after the op code. Every implementation also
 * has {@code static X read(WireReader in, int minor)}, the daemon's side of {@link #write}.
 *
 * @param <R> the reply that follows the daemon's {@code STDERR_LAST}
 */
public sealed interface Request<R extends Reply>
        permits StringRequest, StringsRequest, NoFieldsRequest, AddToStore, AddTextToStore, BuildPaths,
        ExportPath, SetOptions, CollectGarbage, QueryPathFromHashPart, VerifyStore {

    WorkerOp op();

    /** Writes the fields as a client does for a daemon of minor version {@code minor}. */
    void write(WireWriter out, int minor) throws IOException;

    /** Reads the reply as the Guix client does from a daemon of minor version {@code minor}. */
    R readReply(WireReader in, int minor) throws IOException;

    /**
     * The fields of type store-path (protocol.md §6.0), which the daemon checks with
     * {@code assertStorePath}; fields of type string are not listed.
     */
    default List<String> storePaths() {
        return List.of();
    }
}
