package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopCollectGarbage} (20, protocol.md §6.20). The obsolete field and, from minor 5
 * ({@link Gate#GC_REMOVED_OPTIONS}), the two removed options are read and dropped, and written as 0.
 *
 * @param action {@link #RETURN_LIVE}, {@link #RETURN_DEAD}, {@link #DELETE_DEAD} or {@link #DELETE_SPECIFIC}
 * @param pathsToDelete store-paths, used by {@link #DELETE_SPECIFIC}
 * @param maxFreed a u64; 2^64-1 (-1 here) is "no limit"
 */
public record CollectGarbage(long action, List<String> pathsToDelete, boolean ignoreLiveness, long maxFreed)
        implements Request<GcReply> {
    public static final long RETURN_LIVE = 0;
    public static final long RETURN_DEAD = 1;
    public static final long DELETE_DEAD = 2;
    public static final long DELETE_SPECIFIC = 3;

    public CollectGarbage {
        pathsToDelete = List.copyOf(pathsToDelete);
    }

    public static CollectGarbage read(WireReader in, int minor) throws IOException {
        long action = in.readUInt();
        List<String> paths = in.readStrings(LimitKind.PATH);
        boolean ignoreLiveness = in.readBool();
        long maxFreed = in.readU64();
        in.readUInt();
        if (Gate.GC_REMOVED_OPTIONS.open(minor)) {
            in.readUInt();
            in.readUInt();
        }
        return new CollectGarbage(action, paths, ignoreLiveness, maxFreed);
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.COLLECT_GARBAGE;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeU64(action);
        out.writeStrings(pathsToDelete);
        out.writeBool(ignoreLiveness);
        out.writeU64(maxFreed);
        out.writeU64(0);
        if (Gate.GC_REMOVED_OPTIONS.open(minor)) {
            out.writeU64(0);
            out.writeU64(0);
        }
    }

    @Override
    public GcReply readReply(WireReader in, int minor) throws IOException {
        return GcReply.read(in, minor);
    }

    @Override
    public List<String> storePaths() {
        return pathsToDelete;
    }
}
