package loomd.protocol.ops;

import java.io.IOException;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/**
 * {@code wopBuildPaths} (9, protocol.md §6.9). Things are {@code .drv} paths, {@code drv!out1,out2},
 * or plain store paths; all are checked as store paths.
 *
 * @param mode {@link #NORMAL}, {@link #REPAIR} or {@link #CHECK}; sent only from minor 15
 *     ({@link Gate#BUILD_MODE}), and {@link #NORMAL} when absent
 */
public record BuildPaths(List<String> things, long mode) implements Request<IntReply> {
    public static final long NORMAL = 0;
    public static final long REPAIR = 1;
    public static final long CHECK = 2;

    public BuildPaths {
        things = List.copyOf(things);
    }

    public static BuildPaths read(WireReader in, int minor) throws IOException {
        List<String> things = in.readStrings(LimitKind.PATH);
        long mode = Gate.BUILD_MODE.open(minor) ? in.readUInt() : NORMAL;
        return new BuildPaths(things, mode);
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.BUILD_PATHS;
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeStrings(things);
        if (Gate.BUILD_MODE.open(minor)) {
            out.writeU64(mode);
        }
    }

    @Override
    public IntReply readReply(WireReader in, int minor) throws IOException {
        return IntReply.read(in, minor);
    }

    @Override
    public List<String> storePaths() {
        return things;
    }
}
