package loomd.protocol.wire;

import static loomd.protocol.wire.WireTestSupport.hex;
import static loomd.protocol.wire.WireTestSupport.written;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireMalformedTest {

    private static WireReader reader(byte[] bytes) {
        return new WireReader(new ByteArrayInputStream(bytes));
    }

    @Test
    void rejectsHighBitsInInt() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> reader(hex("01 00 00 00 01 00 00 00")).readUInt());
        assertEquals("implementation cannot deal with > 32-bit integers", e.getMessage());
    }

    @Test
    void rejectsNonZeroPadding() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> reader(hex("06 00 00 00 00 00 00 00 68 65 6c 6c 6f 0a 00 01")).readString(LimitKind.STRING));
        assertEquals("non-zero padding", e.getMessage());
    }

    @Test
    void truncationAtEveryOffsetIsAClearError() throws Exception {
        byte[] full = written(w -> {
            w.writeUInt(7);
            w.writeString("hello.txt");
            w.writeStrings(List.of("/gnu/store/a", "/gnu/store/bb"));
            w.writeStringPairs(List.of(java.util.Map.entry("k", "value")));
            w.writeU64(-1);
        });
        for (int cut = 0; cut < full.length; cut++) {
            WireReader r = reader(Arrays.copyOf(full, cut));
            TruncatedInputException e = assertThrows(TruncatedInputException.class, () -> {
                r.readUInt();
                r.readString(LimitKind.PATH);
                r.readPathSet();
                r.readStringPairs();
                r.readU64();
            }, "cut at " + cut);
            assertTrue(e.getMessage().startsWith("unexpected end-of-file"), e.getMessage());
        }
    }

    @Test
    void partialOpCodeIsTruncationButCleanEofIsEmpty() throws Exception {
        assertTrue(reader(new byte[0]).readUIntOrEof().isEmpty());
        assertThrows(TruncatedInputException.class, () -> reader(new byte[3]).readUIntOrEof());
    }

    @Test
    void hugeLengthPrefixesFailFastWithoutAllocation() {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            byte[] huge = hex("00 00 00 80 00 00 00 00 61"); // 2^31 claimed, 1 byte present
            for (LimitKind kind : List.of(LimitKind.PATH, LimitKind.STRING, LimitKind.BYTES)) {
                ProtocolException e = assertThrows(ProtocolException.class, () -> reader(huge).readBytes(kind));
                assertTrue(e.getMessage().contains("above the limit"), e.getMessage());
            }
            assertThrows(ProtocolException.class, () -> reader(huge).readStrings(LimitKind.PATH));
            assertThrows(ProtocolException.class, () -> reader(huge).readStringPairs());
            // Within the limit but a lie: 200 MiB claimed, a few bytes sent -> truncation, small allocation.
            byte[] lie = hex("00 00 80 0c 00 00 00 00 61 62 63");
            long before = usedMemory();
            assertThrows(TruncatedInputException.class, () -> reader(lie).readBytes(LimitKind.BYTES));
            assertTrue(usedMemory() - before < 64L << 20, "allocated too much");
        });
    }

    @Test
    void customLimitsApply() {
        WireLimits tiny = new WireLimits(4, 4, 4, 1, 1);
        WireReader r = new WireReader(new ByteArrayInputStream(hex("05 00 00 00 00 00 00 00 61 62 63 64 65 00 00 00")), tiny);
        assertThrows(ProtocolException.class, () -> r.readString(LimitKind.PATH));
        assertEquals(4, tiny.max(LimitKind.STRING));
    }

    @Test
    void rawInputSharesTheBuffer() throws Exception {
        byte[] bytes = written(w -> {
            w.writeString("sha256");
            w.writeRaw(new byte[] {1, 2, 3}, 0, 3);
            w.writeUInt(9);
        });
        WireReader r = reader(bytes);
        assertEquals("sha256", r.readString(LimitKind.STRING));
        InputStream raw = r.rawInput();
        byte[] three = raw.readNBytes(3);
        assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), List.of(three[0], three[1], three[2]));
        assertEquals(8, r.bufferedByteCount());
        assertEquals(9, r.readUInt());
        assertEquals(0, r.bufferedByteCount());
        assertEquals(-1, raw.read());
    }

    @Test
    void writerRejectsOutOfRangeInt() {
        assertThrows(IllegalArgumentException.class, () -> written(w -> w.writeUInt(1L << 32)));
    }

    @Test
    void readsLargeFieldsAcrossManyBufferRefills() throws IOException {
        byte[] big = new byte[300_000];
        new java.util.Random(1).nextBytes(big);
        byte[] bytes = written(w -> w.writeBytes(big));
        // A stream that hands out 7 bytes at a time.
        InputStream trickle = new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 7));
            }
        };
        assertTrue(Arrays.equals(big, new WireReader(trickle).readBytes(LimitKind.BYTES)));
    }

    @Test
    void stringsDecodeTheSameInPlaceAndAcrossRefills() throws IOException {
        byte[] raw = {'/', 'g', (byte) 0xc3, (byte) 0xa9, (byte) 0xff, 'x', (byte) 0xe2, (byte) 0x82};
        List<byte[]> fields = List.of(raw, "/gnu/store/abc-hello".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                new byte[0], new byte[9000]);
        byte[] bytes = written(w -> {
            for (byte[] f : fields) w.writeBytes(f);
            w.writeU64(42);
        });
        InputStream trickle = new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 3));
            }
        };
        for (WireReader r : List.of(reader(bytes), new WireReader(trickle))) {
            for (byte[] f : fields) {
                assertEquals(new String(f, java.nio.charset.StandardCharsets.UTF_8), r.readString(LimitKind.BYTES));
            }
            assertEquals(42, r.readU64(), "the padding was consumed exactly");
        }
    }

    @Test
    void atEndOfStreamConsumesNothing() throws IOException {
        assertTrue(reader(new byte[0]).atEndOfStream());
        WireReader r = reader(hex("05 00 00 00 00 00 00 00"));
        assertEquals(false, r.atEndOfStream());
        assertEquals(8, r.bufferedByteCount());
        assertEquals(5, r.readUInt());
        assertTrue(r.atEndOfStream());
    }

    private static long usedMemory() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
