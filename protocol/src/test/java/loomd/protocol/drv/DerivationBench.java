package loomd.protocol.drv;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput of the ATerm parser/printer and of hashDerivationModulo. Run with
 * {@code ./mvnw -Pbench -pl protocol -Dtest=DerivationBench -Dsurefire.failIfNoSpecifiedTests=false test};
 * numbers go to the surefire output file.
 */
@Tag("bench")
class DerivationBench {
    /** A derivation shaped like a typical Guix package .drv: many inputs, a long env. */
    static Derivation typical(int inputs, int envEntries) {
        Map<String, Set<String>> inputDrvs = new TreeMap<>();
        for (int i = 0; i < inputs; i++) {
            inputDrvs.put("/gnu/store/" + "%032d".formatted(i).replace('0', 'a') + "-input-" + i + ".drv", Set.of("out"));
        }
        Map<String, String> env = new TreeMap<>();
        for (int i = 0; i < envEntries; i++) {
            env.put("VAR_" + i, "value with \"quotes\" and \\ backslashes\nand lines " + "x".repeat(100));
        }
        env.put("out", "");
        return Derivation.of(Map.of("out", DerivationOutput.regular("/gnu/store/" + "b".repeat(32) + "-pkg")),
                inputDrvs, Set.of("/gnu/store/" + "c".repeat(32) + "-builder.scm"), "x86_64-linux",
                "/gnu/store/" + "d".repeat(32) + "-guile/bin/guile", List.of("--no-auto-compile", "-L", "x"), env);
    }

    @Test
    void parseAndPrint() throws Exception {
        byte[] text = ATermPrinter.print(typical(60, 200));
        int rounds = 5_000;
        for (int warm = 0; warm < 2; warm++) {
            long t0 = System.nanoTime();
            long bytes = 0;
            for (int i = 0; i < rounds; i++) {
                bytes += ATermParser.parse(text).env().size();
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                bytes += ATermPrinter.print(ATermParser.parse(text)).length;
            }
            long t2 = System.nanoTime();
            double parseMBs = (double) text.length * rounds / ((t1 - t0) / 1e9) / 1e6;
            double roundTripMBs = (double) text.length * rounds / ((t2 - t1) / 1e9) / 1e6;
            System.out.printf("drv %d bytes: parse %.1f MB/s (%.1f us/drv), parse+print %.1f MB/s [%d]%n",
                    text.length, parseMBs, (t1 - t0) / 1e3 / rounds, roundTripMBs, bytes);
        }
    }

    @Test
    void hashModuloOfALayeredGraph() throws Exception {
        // 20 layers of 50 derivations, each depending on 10 of the layer below.
        Map<String, Derivation> store = new HashMap<>();
        List<String> below = new ArrayList<>();
        for (int layer = 0; layer < 20; layer++) {
            List<String> current = new ArrayList<>();
            for (int j = 0; j < 50; j++) {
                Map<String, Set<String>> inputs = new TreeMap<>();
                for (int k = 0; k < Math.min(10, below.size()); k++) {
                    inputs.put(below.get((j + k) % below.size()), Set.of("out"));
                }
                String path = "/gnu/store/l" + layer + "n" + j + ".drv";
                store.put(path, Derivation.of(Map.of("out", DerivationOutput.regular("/gnu/store/x")), inputs,
                        Set.of(), "x86_64-linux", "/bin/sh", List.of(), Map.of("n", path)));
                current.add(path);
            }
            below = current;
        }
        for (int warm = 0; warm < 3; warm++) {
            DerivationHasher hasher = new DerivationHasher(store::get);
            long t0 = System.nanoTime();
            for (String top : below) {
                assertEquals(32, hasher.hashOfInput(top).length);
            }
            long t1 = System.nanoTime();
            System.out.printf("hashDerivationModulo over %d derivations: %.1f ms (%.1f us each)%n",
                    store.size(), (t1 - t0) / 1e6, (t1 - t0) / 1e3 / store.size());
        }
    }
}
