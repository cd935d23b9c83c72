package loomd.protocol.ops;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * The reply of {@code wopQuerySubstitutablePathInfos} (protocol.md §6.30): one entry per substitutable
 * path.
 */
public record SubstitutablePathInfosReply(List<Info> infos) implements Reply {
    public static final SubstitutablePathInfosReply NONE = new SubstitutablePathInfosReply(List.of());

    /** One substitutable path; deriver "" if none. */
    public record Info(String path, String deriver, List<String> references, long downloadSize, long narSize) {
        public Info {
            references = List.copyOf(references);
        }
    }

    public SubstitutablePathInfosReply {
        infos = List.copyOf(infos);
    }

    public static SubstitutablePathInfosReply read(WireReader in, int minor) throws IOException {
        int count = in.readCount(LimitKind.LIST);
        List<Info> infos = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            String path = in.readString(LimitKind.PATH);
            String deriver = in.readString(LimitKind.PATH);
            List<String> references = in.readStrings(LimitKind.PATH);
            long downloadSize = in.readU64();
            long narSize = in.readU64();
            infos.add(new Info(path, deriver, references, downloadSize, narSize));
        }
        return new SubstitutablePathInfosReply(infos);
    }

    @Override
    public void write(WireWriter out, int minor) throws IOException {
        out.writeUInt(infos.size());
        for (Info info : infos) {
            out.writeString(info.path());
            out.writeString(info.deriver());
            out.writeStrings(info.references());
            out.writeU64(info.downloadSize());
            out.writeU64(info.narSize());
        }
    }
}
