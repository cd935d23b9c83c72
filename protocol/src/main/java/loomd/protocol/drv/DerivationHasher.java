package loomd.protocol.drv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.HexFormat;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.wire.Utf8Order;

/**
 * {@code hashDerivationModulo} (formats.md §4.6). Input derivations are read through a
 * {@link Resolver} (the daemon reads them from the store; tests from memory) and their modulo
 * hashes are memoised per .drv path. Thread-safe: the memo is a concurrent map, and two threads
 * computing the same entry at once both get the same value.
 */
public final class DerivationHasher {
    /** Gives the stored derivation for a .drv path (with its output paths filled in). */
    @FunctionalInterface
    public interface Resolver {
        Derivation read(String drvPath) throws IOException, DerivationException;
    }

    /** Gives the stored .drv text for a path. */
    @FunctionalInterface
    public interface TextResolver {
        byte[] read(String drvPath) throws IOException;
    }

    /** A hasher whose resolver reads .drv text and parses it (errors name the .drv path). */
    public static DerivationHasher ofText(TextResolver texts) {
        return new DerivationHasher(p -> ATermParser.parse(texts.read(p), p));
    }

    private final Resolver resolver;
    private final Map<String, byte[]> memo;

    public DerivationHasher(Resolver resolver) {
        this(resolver, new ConcurrentHashMap<>());
    }

    /** With a caller-owned memo (e.g. a bounded cache shared by the daemon). */
    public DerivationHasher(Resolver resolver, Map<String, byte[]> memo) {
        this.resolver = Objects.requireNonNull(resolver);
        this.memo = Objects.requireNonNull(memo);
    }

    /** The 32-byte SHA-256 modulo hash of {@code drv}. */
    public byte[] hashModulo(Derivation drv) throws IOException, DerivationException {
        return hashModulo(drv, new HashMap<>());
    }

    /** As {@link #hashModulo(Derivation)}; inputs found in {@code known} are not looked up again. */
    private byte[] hashModulo(Derivation drv, Map<String, byte[]> known) throws IOException, DerivationException {
        if (drv.isFixedOutput()) {
            DerivationOutput out = drv.outputs().get("out");
            String s = "fixed:out:" + out.hashAlgo() + ":" + out.hash() + ":" + out.path();
            return sha256(s.getBytes(StandardCharsets.UTF_8));
        }
        // Later keys replace earlier ones on a clash, as upstream's std::map assignment does.
        TreeMap<String, SortedSet<String>> inputs = new TreeMap<>(Utf8Order.COMPARATOR);
        for (Map.Entry<String, SortedSet<String>> e : drv.inputDrvs().entrySet()) {
            byte[] input = known.get(e.getKey());
            inputs.put(HexFormat.of().formatHex(input != null ? input : hashOfInput(e.getKey())), e.getValue());
        }
        return sha256(ATermPrinter.print(drv.withInputDrvs(inputs)));
    }

    /**
     * The modulo hash of a stored input derivation, memoised. Walks the input graph with an
     * explicit stack (no recursion), so deep graphs cannot overflow a thread's stack; a cycle,
     * which a real store cannot hold, is reported instead of looping. The walk keeps its own
     * results in {@code known}: a bounded memo may evict an entry right after it is put.
     */
    public byte[] hashOfInput(String drvPath) throws IOException, DerivationException {
        Map<String, byte[]> known = new HashMap<>();
        if (recall(drvPath, known)) {
            return known.get(drvPath).clone();
        }
        Deque<String> stack = new ArrayDeque<>();
        Map<String, Derivation> inProgress = new HashMap<>();
        stack.push(drvPath);
        while (!stack.isEmpty()) {
            String path = stack.peek();
            if (recall(path, known)) {
                stack.pop();
                inProgress.remove(path);
                continue;
            }
            Derivation drv = inProgress.get(path);
            if (drv == null) {
                drv = resolver.read(path);
                inProgress.put(path, drv);
            }
            List<String> missing = drv.isFixedOutput() ? List.of() : missingInputs(drv, inProgress, known);
            if (missing.isEmpty()) {
                byte[] hash = hashModulo(drv, known);
                known.put(path, hash);
                memo.put(path, hash);
                stack.pop();
                inProgress.remove(path);
            } else {
                missing.forEach(stack::push);
            }
        }
        return known.get(drvPath).clone();
    }

    /** True if {@code path}'s hash is known to this walk, taking it from the memo if there. */
    private boolean recall(String path, Map<String, byte[]> known) {
        if (known.containsKey(path)) {
            return true;
        }
        byte[] memoised = memo.get(path);
        if (memoised == null) {
            return false;
        }
        known.put(path, memoised);
        return true;
    }

    private List<String> missingInputs(Derivation drv, Map<String, Derivation> inProgress, Map<String, byte[]> known)
            throws DerivationException {
        List<String> missing = new ArrayList<>();
        for (String input : drv.inputDrvs().keySet()) {
            if (!recall(input, known)) {
                if (inProgress.containsKey(input)) {
                    throw new DerivationFormatException("derivation `" + input + "' depends on itself", -1);
                }
                missing.add(input);
            }
        }
        return missing;
    }

    private static byte[] sha256(byte[] data) {
        return Hash.of(HashAlgorithm.SHA256, data).bytes();
    }
}
