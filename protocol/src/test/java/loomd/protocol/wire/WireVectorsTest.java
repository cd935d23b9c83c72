package loomd.protocol.wire;

import static loomd.protocol.wire.WireTestSupport.hex;
import static loomd.protocol.wire.WireTestSupport.written;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** test-vectors.md §4 and the frames of §7, byte for byte both ways. */
class WireVectorsTest {

    private static WireReader reader(byte[] bytes) {
        return new WireReader(new ByteArrayInputStream(bytes));
    }

    @Test
    void integers() throws Exception {
        assertArrayEquals(hex("01 00 00 00 00 00 00 00"), written(w -> w.writeUInt(1)));
        assertArrayEquals(hex("64 01 00 00 00 00 00 00"), written(w -> w.writeUInt(ProtocolVersion.PROTOCOL_VERSION)));
        assertArrayEquals(hex("ff ff ff ff ff ff ff ff"), written(w -> w.writeU64(-1L)));
        assertEquals(1, reader(hex("01 00 00 00 00 00 00 00")).readUInt());
        assertEquals(0x164, reader(hex("64 01 00 00 00 00 00 00")).readUInt());
        assertEquals(-1L, reader(hex("ff ff ff ff ff ff ff ff")).readU64());
    }

    @Test
    void strings() throws Exception {
        assertArrayEquals(hex("00 00 00 00 00 00 00 00"), written(w -> w.writeString("")));
        assertArrayEquals(hex("06 00 00 00 00 00 00 00 68 65 6c 6c 6f 0a 00 00"), written(w -> w.writeString("hello\n")));
        assertArrayEquals(hex("06 00 00 00 00 00 00 00 73 68 61 32 35 36 00 00"), written(w -> w.writeString("sha256")));
        assertArrayEquals(hex("09 00 00 00 00 00 00 00 68 65 6c 6c 6f 2e 74 78 74 00 00 00 00 00 00 00"),
                written(w -> w.writeString("hello.txt")));
        assertArrayEquals(hex("00 00 00 00 00 00 00 00"), written(w -> w.writeStrings(List.of())));
        assertEquals("", reader(hex("00 00 00 00 00 00 00 00")).readString(LimitKind.STRING));
        assertEquals("hello\n", reader(hex("06 00 00 00 00 00 00 00 68 65 6c 6c 6f 0a 00 00")).readString(LimitKind.STRING));
        assertEquals(List.of(), reader(hex("00 00 00 00 00 00 00 00")).readStrings(LimitKind.PATH));
    }

    @Test
    void handshakeAndAddTextToStoreRequestFromRealClient() throws Exception {
        byte[] client = hex("63 78 69 6e 00 00 00 00 64 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                + " 01 00 00 00 00 00 00 00"
                + " 08 00 00 00 00 00 00 00"
                + " 09 00 00 00 00 00 00 00 68 65 6c 6c 6f 2e 74 78 74 00 00 00 00 00 00 00"
                + " 06 00 00 00 00 00 00 00 68 65 6c 6c 6f 0a 00 00"
                + " 00 00 00 00 00 00 00 00");
        WireReader r = reader(client);
        assertEquals(ProtocolVersion.WORKER_MAGIC_1, r.readUInt());
        long version = r.readUInt();
        assertEquals(0x64, ProtocolVersion.minor(version));
        assertEquals(0x100, ProtocolVersion.major(version));
        assertFalse(r.readBool());
        assertTrue(r.readBool());
        assertEquals(WorkerOp.ADD_TEXT_TO_STORE, WorkerOp.fromCode(r.readUInt()).orElseThrow());
        assertEquals("hello.txt", r.readString(LimitKind.PATH));
        assertArrayEquals("hello\n".getBytes(), r.readBytes(LimitKind.BYTES));
        assertEquals(List.of(), r.readStrings(LimitKind.PATH));
        assertTrue(r.readUIntOrEof().isEmpty());

        byte[] daemon = written(w -> {
            w.writeUInt(ProtocolVersion.WORKER_MAGIC_2);
            w.writeUInt(ProtocolVersion.PROTOCOL_VERSION);
            w.writeUInt(StderrCode.LAST);
            w.writeUInt(StderrCode.ERROR);
            w.writeString("path `/tmp/x' is not in the store");
            w.writeUInt(1);
        });
        byte[] expected = hex("6f 69 78 64 00 00 00 00 64 01 00 00 00 00 00 00 73 74 6c 61 00 00 00 00"
                + " 70 74 78 63 00 00 00 00 21 00 00 00 00 00 00 00");
        assertArrayEquals(expected, java.util.Arrays.copyOf(daemon, expected.length));
        assertEquals(expected.length + 0x21 + 7 + 8, daemon.length);
    }

    @Test
    void pathSetsCollapseAndSortByBytes() throws Exception {
        byte[] bytes = written(w -> w.writeStrings(List.of("b", "a", "b", "\uD83D\uDE00", "\uFFFD")));
        assertEquals(List.of("a", "b", "\uFFFD", "\uD83D\uDE00"), List.copyOf(reader(bytes).readPathSet()));
    }

    @Test
    void stringPairsRoundTrip() throws Exception {
        List<Map.Entry<String, String>> pairs = List.of(Map.entry("build-cores", "2"), Map.entry("locale", "C"));
        byte[] bytes = written(w -> w.writeStringPairs(pairs));
        assertEquals(pairs, reader(bytes).readStringPairs());
    }

    @Test
    void opCodes() {
        assertEquals(34, WorkerOp.values().length);
        assertEquals(WorkerOp.SUBSTITUTE_URLS, WorkerOp.fromCode(81).orElseThrow());
        assertEquals("wopQuerySubstitutablePathInfos", WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFOS.wireName());
        for (long undefined : new long[] {0, 2, 15, 17, 36, 79, 82, -1, 1L << 40}) {
            assertTrue(WorkerOp.fromCode(undefined).isEmpty(), "code " + undefined);
        }
    }
}
