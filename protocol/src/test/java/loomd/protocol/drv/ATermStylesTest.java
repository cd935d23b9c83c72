package loomd.protocol.drv;

import static loomd.protocol.drv.DerivationVectors.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import loomd.protocol.drv.ATermPrinter.Style;
import org.junit.jupiter.api.Test;

/**
 * The daemon's and the Guix client's .drv writers differ on strings (formats.md §4.3 quirk 2):
 * both are reproduced byte for byte.
 */
class ATermStylesTest {
    /** Odd characters, as a Guix client string: quote, backslash, C0 escapes, NUL, Latin-1, BMP, astral. */
    private static final String ODD = "a\"\\\t\n\r\u0007\b\u000b\f\u0000\u0001\u007f\u0080\u00a0\u00ad\u00e9\u00ff\u65e5\uD83D\uDE00";

    private static Derivation oddDerivation() {
        return Derivation.of(Map.of("out", DerivationOutput.regular("/gnu/store/x-o")),
                Map.of("/gnu/store/y-\"in\\.drv", Set.of("out")), Set.of("/gnu/store/z-s\\rc"),
                "x86\"64", "/bin/\"q\\", List.of(ODD), Map.of("k\u00e9", "v"));
    }

    /** Bytes that guile 3.0.8 wrote for {@link #oddDerivation} with write/display on a bytevector port. */
    private static final String GUILE_BYTES = "446572697665285b28226f7574222c222f676e752f73746f72652f782d6f222c22222c2222295d2c5b28"
            + "222f676e752f73746f72652f792d22696e5c2e647276222c5b226f7574225d295d2c5b222f676e752f73746f72652f7a2d735c5c72"
            + "63225d2c22783836223634222c222f62696e2f22715c222c5b22615c225c5c5c745c6e5c725c615c625c765c665c7830305c7830"
            + "315c7837665c7838305c7861305c786164e9ff5c75363565355c55303166363030225d2c5b28226be9222c227622295d29";

    @Test
    void guixClientStyleMatchesGuileByteForByte() {
        assertEquals(GUILE_BYTES, HexFormat.of().formatHex(ATermPrinter.print(oddDerivation(), Style.GUIX_CLIENT)));
    }

    @Test
    void daemonStyleEscapesEveryStringIncludingBuilderAndPlatform() {
        String daemon = new String(ATermPrinter.print(oddDerivation()), StandardCharsets.UTF_8);
        assertTrue(daemon.contains(",\"x86\\\"64\",\"/bin/\\\"q\\\\\","), daemon);
        assertTrue(daemon.contains("[(\"/gnu/store/y-\\\"in\\\\.drv\",[\"out\"])]"), daemon);
        // The NUL cuts the argument, as upstream's C strings do.
        assertTrue(daemon.contains("[\"a\\\"\\\\\\t\\n\\r\u0007\b\u000b\f\"]"), daemon);
    }

    @Test
    void bothStylesAgreeOnEveryVectorTheGuixClientProduced() throws Exception {
        for (String text : List.of(HELLO, FIXED, DEP, ESCAPES)) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(bytes, ATermPrinter.print(ATermParser.parse(bytes), Style.GUIX_CLIENT), text);
        }
    }

    @Test
    void latin1BytesWrittenByTheClientParseAndPrintBackUnchanged() throws Exception {
        byte[] client = ATermPrinter.print(Derivation.of(Map.of("out", DerivationOutput.regular("/gnu/store/x-o")),
                Map.of(), Set.of(), "x86_64-linux", "/bin/sh", List.of("d\u00e9j\u00e0"), Map.of("caf\u00e9", "\u00ff")),
                Style.GUIX_CLIENT);
        assertTrue(new String(client, StandardCharsets.ISO_8859_1).contains("\"d\u00e9j\u00e0\""), "one byte per char");
        Derivation parsed = ATermParser.parse(client);
        assertArrayEquals(client, ATermPrinter.print(parsed), "the daemon hashes the client's own bytes");
        assertArrayEquals(client, ATermPrinter.print(parsed, Style.GUIX_CLIENT));
    }

    @Test
    void utf8TextStillDecodesToCharacters() throws Exception {
        byte[] text = "Derive([],[],[],\"x\",\"b\",[\"d\u00e9j\u00e0 \uD83D\uDE00\"],[])".getBytes(StandardCharsets.UTF_8);
        assertEquals("d\u00e9j\u00e0 \uD83D\uDE00", ATermParser.parse(text).args().getFirst());
    }

    @Test
    void clientCannotWriteWideCharactersUnescaped() {
        Derivation wide = Derivation.of(Map.of(), Map.of(), Set.of(), "x86_64-linux", "/bin/\u65e5", List.of(), Map.of());
        var e = assertThrows(IllegalArgumentException.class, () -> ATermPrinter.print(wide, Style.GUIX_CLIENT));
        assertTrue(e.getMessage().contains("U+65e5"), e.getMessage());
    }

    @Test
    void keysWithRawBytesSortByThoseBytesAsUpstreamDoes() throws Exception {
        // Byte order: 0x80 (a raw byte) < 0xC3 0xA9 ("é" in UTF-8) < 0xE9 (a raw byte).
        byte[] text = java.util.HexFormat.of().parseHex("4465726976652"
                + "85b5d2c5b5d2c5b5d2c2278222c2262222c5b5d2c5b28" // Derive([],[],[],"x","b",[],[(
                + "2280222c223122292c28" + "22c3a9222c223222292c28" + "22e9222c22332229" + "5d29");
        Derivation d = ATermParser.parse(text);
        assertArrayEquals(text, ATermPrinter.print(d));
    }
}
