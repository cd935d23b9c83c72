package loomd.protocol.drv;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DerivationHasherTest {
    private static Derivation chainLink(String input) {
        Map<String, Set<String>> inputs = input == null ? Map.of() : Map.of(input, Set.of("out"));
        return Derivation.of(Map.of("out", DerivationOutput.regular("/gnu/store/x-out")), inputs, Set.of(),
                "x86_64-linux", "/bin/sh", List.of(), Map.of());
    }

    @Test
    void deepInputChainNeedsNoDeepStack() throws Exception {
        int depth = 10_000;
        Map<String, Derivation> store = new HashMap<>();
        for (int i = 0; i < depth; i++) {
            store.put("/gnu/store/d" + i + ".drv", chainLink(i == 0 ? null : "/gnu/store/d" + (i - 1) + ".drv"));
        }
        AtomicInteger reads = new AtomicInteger();
        DerivationHasher hasher = new DerivationHasher(p -> {
            reads.incrementAndGet();
            return store.get(p);
        });
        byte[] h = hasher.hashOfInput("/gnu/store/d" + (depth - 1) + ".drv");
        assertEquals(32, h.length);
        assertEquals(depth, reads.get(), "each input read once");
        assertArrayEquals(h, hasher.hashOfInput("/gnu/store/d" + (depth - 1) + ".drv"));
        assertEquals(depth, reads.get(), "memoised");
    }

    @Test
    void diamondsAreNotCycles() throws Exception {
        Map<String, Derivation> store = Map.of(
                "/a", Derivation.of(Map.of("out", DerivationOutput.regular("/o")),
                        Map.of("/b", Set.of("out"), "/c", Set.of("out")), Set.of(), "s", "b", List.of(), Map.of()),
                "/b", chainLink("/c"),
                "/c", chainLink(null));
        assertEquals(32, new DerivationHasher(store::get).hashOfInput("/a").length);
    }

    @Test
    void cycleIsReportedNotLooped() {
        Map<String, Derivation> store = Map.of("/a", chainLink("/b"), "/b", chainLink("/a"));
        var e = assertThrows(DerivationException.class, () -> new DerivationHasher(store::get).hashOfInput("/a"));
        assertTrue(e.getMessage().contains("depends on itself"));
    }

    @Test
    void aMemoThatEvictsAtOnceChangesNothing() throws Exception {
        int depth = 50;
        Map<String, Derivation> store = new HashMap<>();
        for (int i = 0; i < depth; i++) {
            store.put("/gnu/store/d" + i + ".drv", chainLink(i == 0 ? null : "/gnu/store/d" + (i - 1) + ".drv"));
        }
        String top = "/gnu/store/d" + (depth - 1) + ".drv";
        byte[] expected = new DerivationHasher(store::get).hashOfInput(top);
        // A bounded cache such as the daemon's may drop what was just put (here: keeps nothing).
        Map<String, byte[]> forgetful = new java.util.LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
                return true;
            }
        };
        AtomicInteger reads = new AtomicInteger();
        DerivationHasher hasher = new DerivationHasher(p -> {
            reads.incrementAndGet();
            return store.get(p);
        }, forgetful);
        assertArrayEquals(expected, hasher.hashOfInput(top));
        assertEquals(depth, reads.get(), "each input read once within a walk, whatever the memo keeps");
    }
}
