package loomd.protocol.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;

/** Wire bytes for tests, here and in the packages built on the wire format. */
public final class WireTestSupport {
    private WireTestSupport() {
    }

    static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    public interface Writes {
        void to(WireWriter w) throws IOException;
    }

    public static byte[] written(Writes writes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireWriter w = new WireWriter(out);
        writes.to(w);
        w.flush();
        return out.toByteArray();
    }
}
