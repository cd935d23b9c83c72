package loomd.protocol.drv;

import static loomd.protocol.drv.DerivationVectors.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Bad .drv text gives a clear DerivationFormatException, never a StackOverflowError or OOM. */
class ATermParserMalformedTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String fail(byte[] text) {
        return assertThrows(DerivationFormatException.class, () -> ATermParser.parse(text)).getMessage();
    }

    @Test
    void everyTruncationOfAVectorFails() {
        byte[] full = bytes(DEP);
        for (int n = 0; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            assertThrows(DerivationFormatException.class, () -> ATermParser.parse(cut), "prefix " + n);
        }
    }

    @Test
    void wrongHeaderNamesTheExpectedToken() {
        assertEquals("expected string `Derive(['", fail(bytes("Derivx([")));
    }

    @Test
    void pathPrefixIsChecked() {
        assertEquals("bad path `rel' in derivation",
                fail(bytes("Derive([(\"out\",\"rel\",\"\",\"\")],[],[],\"x\",\"b\",[],[])")));
        assertEquals("bad path `' in derivation", fail(bytes("Derive([],[],[\"\"],\"x\",\"b\",[],[])")));
    }

    @Test
    void deepNestingIsASyntaxErrorNotARecursion() {
        String deep = "Derive(" + "[".repeat(1_000_000);
        assertTrue(fail(bytes(deep)).startsWith("expected string"));
    }

    @Test
    void unterminatedHugeStringIsBounded() {
        byte[] text = new byte[10 << 20];
        Arrays.fill(text, (byte) 'a');
        System.arraycopy(bytes("Derive([(\""), 0, text, 0, 10);
        assertEquals("unterminated string in derivation", fail(text));
        var small = new DerivationLimits(1 << 20, 100, 10);
        var e = assertThrows(DerivationFormatException.class, () -> ATermParser.parse(Arrays.copyOf(text, 1000), small));
        assertTrue(e.getMessage().contains("too long"));
    }

    @Test
    void limitsOnTotalSizeAndListLength() {
        var small = new DerivationLimits(100, 100, 2);
        assertThrows(DerivationFormatException.class, () -> ATermParser.parse(bytes(DEP), small));
        var fewEntries = new DerivationLimits(10_000, 10_000, 2);
        var e = assertThrows(DerivationFormatException.class, () -> ATermParser.parse(bytes(HELLO), fewEntries));
        assertTrue(e.getMessage().contains("too many list entries"), e.getMessage());
    }

    @Test
    void bytesThatAreNotUtf8AreKeptExactlyAsUpstreamKeepsThem() throws Exception {
        byte[] text = bytes(HELLO.replace("echo hello", "echo hellX"));
        int at = new String(text, StandardCharsets.ISO_8859_1).indexOf("hellX") + 4;
        text[at] = (byte) 0xff;
        assertArrayEquals(text, ATermPrinter.print(ATermParser.parse(text)));
        text[at + 1] = (byte) 0xc3; // a lead byte with no continuation
        assertArrayEquals(text, ATermPrinter.print(ATermParser.parse(text)));
    }

    @Test
    void pathPrefixIsAddedForStoredFiles() {
        var e = assertThrows(DerivationFormatException.class, () -> ATermParser.parse(bytes("x"), HELLO_DRV));
        assertEquals("error parsing derivation `" + HELLO_DRV + "': expected string `Derive(['", e.getMessage());
    }

    @Test
    void upstreamQuirksAreKept() throws Exception {
        // Trailing bytes are ignored; duplicates: later wins; sets collapse.
        Derivation d = ATermParser.parse(bytes("Derive([],[],[\"/b\",\"/a\",\"/b\"],\"x\",\"b\",[\"2\",\"1\"],[(\"k\",\"1\"),(\"k\",\"2\")])garbage"));
        assertEquals(2, d.inputSrcs().size());
        assertEquals("/a", d.inputSrcs().first());
        assertEquals("2", d.env().get("k"));
        assertEquals(java.util.List.of("2", "1"), d.args());
        assertEquals("Derive([],[],[\"/a\",\"/b\"],\"x\",\"b\",[\"2\",\"1\"],[(\"k\",\"2\")])", ATermPrinter.printString(d));
    }

    @Test
    void maskedTextIsNotAStorableDerivation() {
        assertEquals("bad path `' in derivation", fail(bytes(HELLO_MASKED)));
    }

    @Test
    void nulEndsAPrintedStringAsUpstream() throws Exception {
        Derivation d = ATermParser.parse(bytes("Derive([],[],[],\"x\",\"b\",[\"a\u0000b\"],[])"));
        assertEquals("a\u0000b", d.args().getFirst());
        assertEquals("Derive([],[],[],\"x\",\"b\",[\"a\"],[])", ATermPrinter.printString(d));
    }

    @Test
    void nonAsciiRoundTrips() throws Exception {
        String text = "Derive([],[],[],\"x\",\"b\",[\"d\u00e9j\u00e0 \uD83D\uDE00 \u0001\"],[])";
        assertArrayEquals(bytes(text), ATermPrinter.print(ATermParser.parse(bytes(text))));
    }
}
