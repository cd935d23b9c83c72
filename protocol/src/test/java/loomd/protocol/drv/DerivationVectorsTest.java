package loomd.protocol.drv;

import static loomd.protocol.drv.DerivationVectors.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every vector of test-vectors.md §5, byte for byte. */
class DerivationVectorsTest {
    private static final Map<String, String> STORED = Map.of(HELLO_DRV, HELLO, FIXED_DRV, FIXED, DEP_DRV, DEP);

    private final DerivationHasher hasher = new DerivationHasher(p -> {
        String text = STORED.get(p);
        if (text == null) {
            throw new java.io.FileNotFoundException(p);
        }
        return ATermParser.parse(bytes(text), p);
    });

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static Derivation parse(String s) throws DerivationFormatException {
        return ATermParser.parse(bytes(s));
    }

    @Test
    void lengthsMatchTheVectors() {
        assertEquals(260, bytes(HELLO).length);
        assertEquals(478, bytes(FIXED).length);
        assertEquals(760, bytes(DEP).length);
        assertEquals(287, bytes(ESCAPES).length);
    }

    @Test
    void everyVectorRoundTripsByteForByte() throws Exception {
        for (String text : List.of(HELLO, FIXED, DEP, ESCAPES)) {
            assertArrayEquals(bytes(text), ATermPrinter.print(parse(text)), text);
        }
    }

    @Test
    void helloVector() throws Exception {
        Derivation drv = parse(HELLO);
        assertEquals(HELLO_MASKED, ATermPrinter.printString(drv.masked()));
        assertEquals("42fb76082c477eb98f79f377d88f6e5a226c27685c6a36cef82d017c136a966f",
                hex(hasher.hashModulo(drv.masked())));
        assertEquals(Map.of("out", "/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello"),
                DerivationPaths.computeOutputPaths(drv, "hello", STORE, hasher));
        assertEquals(HELLO_DRV, DerivationPaths.drvPath(drv, "hello", STORE));
        assertEquals("ea4eedeafb807c452f9d20bc1d4e9274526ca40c1e8037b23fb8985ebd01017f", hex(hasher.hashModulo(drv)));
        DerivationPaths.checkOutputs(HELLO_DRV, drv, STORE, hasher);
        assertFalse(drv.isFixedOutput());
    }

    @Test
    void fixedOutputVector() throws Exception {
        Derivation drv = parse(FIXED);
        assertTrue(drv.isFixedOutput());
        assertEquals("3763c0cc73c63866b4564ad04af7d6617214a892f5e60ea0366adbd0a0f91dc4", hex(hasher.hashModulo(drv)));
        assertEquals("/gnu/store/0n46z86wircz39m8x04qqlfpvyz7appf-fixed.txt",
                DerivationPaths.computeOutputPaths(drv, "fixed.txt", STORE, hasher).get("out"));
        assertEquals(FIXED_DRV, DerivationPaths.drvPath(drv, "fixed.txt", STORE));
        DerivationPaths.checkOutputs(FIXED_DRV, drv, STORE, hasher);
    }

    @Test
    void derivationWithInputsVector() throws Exception {
        Derivation drv = parse(DEP);
        Derivation masked = drv.masked();
        // The masked string with input paths replaced by modulo hashes, re-sorted.
        var inputs = new java.util.TreeMap<String, java.util.SortedSet<String>>();
        for (var e : masked.inputDrvs().entrySet()) {
            inputs.put(hex(hasher.hashOfInput(e.getKey())), e.getValue());
        }
        assertEquals(DEP_MASKED_MODULO, ATermPrinter.printString(masked.withInputDrvs(inputs)));
        assertEquals("b8ac6d3c219fb56a50fe837910a73d5dbced4efd3673739d69572e1db0a036df", hex(hasher.hashModulo(masked)));
        assertEquals(Map.of("dev", "/gnu/store/cpln9c6fgjns6cks3jl4whs1ip10k80b-dep-dev",
                        "out", "/gnu/store/pcaax80b227qaj8yx85yqbf7j9ww9gi4-dep"),
                DerivationPaths.computeOutputPaths(drv, "dep", STORE, hasher));
        assertEquals(DEP_DRV, DerivationPaths.drvPath(drv, "dep", STORE));
        assertEquals("2b7627594409efa1947ebd9749bde0364ad9730f33080f00e82283d9cc0c0713", hex(hasher.hashModulo(drv)));
        assertEquals(Set.of(HELLO_DRV, FIXED_DRV, "/gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt"),
                drv.references());
        DerivationPaths.checkOutputs(DEP_DRV, drv, STORE, hasher);
    }

    @Test
    void escapesVector() throws Exception {
        Derivation drv = parse(ESCAPES);
        String arg = drv.args().get(1);
        assertEquals(31, arg.length());
        assertEquals("printf '\"q\" \\\\ \t tab\\n' > $out\n", arg);
        assertEquals("4fd619d86565e38c87dd582d952ac973ca11c7f3cb3b0d86b22578152f216286", hex(hasher.hashModulo(drv.masked())));
        assertEquals("/gnu/store/dknjdm3fgv31vbak8x42j21l1jns4vbf-escapes",
                DerivationPaths.computeOutputPaths(drv, "escapes", STORE, hasher).get("out"));
        assertEquals(ESCAPES_DRV, DerivationPaths.drvPath(drv, "escapes", STORE));
        assertEquals("fcc27efce845381caf16656f07ec412e414612d63197d3d997cba931eb8c85f1",
                hex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes(ESCAPES))));
    }

    @Test
    void clientSideConstructionGivesTheSameDrv() throws Exception {
        // Built from fields with empty outputs, as the client does (§4.7 steps 1-5).
        Derivation skeleton = Derivation.of(
                Map.of("out", DerivationOutput.regular("")), Map.of(), Set.of(), "x86_64-linux", "/bin/sh",
                List.of("-c", "echo hello > $out"),
                Map.of("builder", "/bin/sh", "name", "hello", "out", "", "system", "x86_64-linux"));
        Derivation full = DerivationPaths.withComputedOutputs(skeleton, "hello", STORE, hasher);
        assertEquals(HELLO, ATermPrinter.printString(full));
    }

    @Test
    void wrongOutputGivesUpstreamMessage() throws Exception {
        String bad = HELLO.replace("acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello\",\"\"", "00000000000000000000000000000000-hello\",\"\"");
        Derivation drv = parse(bad);
        var e = assertThrows(IncorrectOutputException.class,
                () -> DerivationPaths.checkOutputs(HELLO_DRV, drv, STORE, hasher));
        assertEquals("derivation `" + HELLO_DRV + "' has incorrect output `/gnu/store/00000000000000000000000000000000-hello'"
                + ", should be `/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello'", e.getMessage());
    }

    @Test
    void wrongEnvEntryIsRejected() throws Exception {
        String bad = HELLO.replace("(\"out\",\"/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello\")", "(\"out\",\"x\")");
        Derivation drv = parse(bad);
        assertThrows(IncorrectOutputException.class, () -> DerivationPaths.checkOutputs(HELLO_DRV, drv, STORE, hasher));
    }

    @Test
    void fixedOutputWithUnknownAlgorithm() throws Exception {
        Derivation drv = parse(FIXED.replace("\"sha256\",\"5891", "\"sha7\",\"5891"));
        var e = assertThrows(IncorrectOutputException.class,
                () -> DerivationPaths.checkOutputs(FIXED_DRV, drv, STORE, hasher));
        assertEquals("unknown hash algorithm `sha7'", e.getMessage());
    }

    @Test
    void drvPathWithOutputs() {
        var all = DrvPathWithOutputs.parse(DEP_DRV);
        assertEquals(DEP_DRV, all.path());
        assertTrue(all.outputs().isEmpty());
        assertTrue(all.wants("dev"));
        var some = DrvPathWithOutputs.parse(DEP_DRV + "!out,dev,,");
        assertEquals(Set.of("out", "dev"), some.outputs());
        assertFalse(some.wants("doc"));
        assertEquals(DEP_DRV + "!dev,out", some.toString());
        assertEquals("dep", DerivationPaths.drvName(DEP_DRV));
    }
}
