package loomd.protocol.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;

final class WireTestSupport {
    private WireTestSupport() {
    }

    static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    interface Writes {
        void to(WireWriter w) throws IOException;
    }

    static byte[] written(Writes writes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireWriter w = new WireWriter(out);
        writes.to(w);
        w.flush();
        return out.toByteArray();
    }
}
