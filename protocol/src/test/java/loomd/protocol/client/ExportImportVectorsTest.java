package loomd.protocol.client;

import static loomd.protocol.client.ClientRequestVectorsTest.hex;
import static loomd.protocol.client.ClientRequestVectorsTest.session;
import static loomd.protocol.client.ClientRequestVectorsTest.wire;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import loomd.protocol.wire.StderrCode;
import org.junit.jupiter.api.Test;

/**
 * test-vectors.md §6 through the client: export via STDERR_WRITE gives the 472 bytes of
 * {@code nix-store --export}; import answers STDERR_READ with exactly those bytes (§7.3).
 */
class ExportImportVectorsTest {
    private static final String PATH = "/gnu/store/nnv962p503wd3di297nmj7p16s9277xf-refs.txt";
    private static final String EMPTY = "/gnu/store/1hsw4vkd7sfw6bda2808j3pnc2w3avx4-empty.txt";
    private static final String HELLO = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";
    /** The export stream of §6, copied from the spec's hex dump. */
    private static final byte[] BUNDLE = HexFormat.of().parseHex(""
            + "01000000000000000d000000000000006e69782d617263686976652d3100000001000000000000002800000000000000"
            + "040000000000000074797065000000000700000000000000726567756c6172000800000000000000636f6e74656e7473"
            + "7400000000000000736565202f676e752f73746f72652f6b397061643839366b7967797670786c6937663230626b6c39"
            + "383133703979342d68656c6c6f2e74787420616e64202f676e752f73746f72652f3168737734766b6437736677366264"
            + "61323830386a33706e63327733617678342d656d7074792e7478740a0000000001000000000000002900000000000000"
            + "4e4958450000000034000000000000002f676e752f73746f72652f6e6e763936327035303377643364693239376e6d6a"
            + "37703136733932373778662d726566732e74787400000000020000000000000035000000000000002f676e752f73746f"
            + "72652f3168737734766b643773667736626461323830386a33706e63327733617678342d656d7074792e747874000000"
            + "35000000000000002f676e752f73746f72652f6b397061643839366b7967797670786c6937663230626b6c3938313370"
            + "3979342d68656c6c6f2e747874000000000000000000000000000000000000000000000000000000");

    @Test
    void exportPathsWritesTheMarkersAroundWhatTheDaemonSends() throws Exception {
        assertEquals(472, BUNDLE.length);
        byte[] item = Arrays.copyOfRange(BUNDLE, 0x08, 0x1d0); // what wopExportPath sends
        var s = session(wire(w -> {
            w.writeU64(StderrCode.LAST); w.writeStrings(List.of(EMPTY, HELLO)); // references of PATH
            w.writeU64(StderrCode.LAST); w.writeStrings(List.of());
            w.writeU64(StderrCode.LAST); w.writeStrings(List.of());
            w.writeU64(StderrCode.WRITE); w.writeBytes(Arrays.copyOfRange(item, 0, 100)); // split frames
            w.writeU64(StderrCode.WRITE); w.writeBytes(Arrays.copyOfRange(item, 100, item.length));
            w.writeU64(StderrCode.LAST); w.writeU64(1);
        }));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        s.client().exportPaths(List.of(PATH), false, false, sink);
        assertEquals(HexFormat.of().formatHex(BUNDLE), HexFormat.of().formatHex(sink.toByteArray()));
        String exportRequest = hex(w -> { w.writeU64(16); w.writeString(PATH); w.writeU64(0); });
        String sent = s.sentAfterHandshake();
        assertEquals(exportRequest, sent.substring(sent.length() - exportRequest.length()));
    }

    @Test
    void importPathsAnswersStderrReadWithTheBundle() throws Exception {
        var s = session(wire(w -> {
            w.writeU64(StderrCode.READ); w.writeU64(32768);
            w.writeU64(StderrCode.LAST); w.writeStrings(List.of(PATH));
        }));
        assertEquals(List.of(PATH), s.client().importPaths(new ByteArrayInputStream(BUNDLE)));
        assertEquals(hex(w -> { w.writeU64(27); w.writeBytes(BUNDLE); }), s.sentAfterHandshake());
    }
}
