package loomd.protocol.drv;

import loomd.protocol.wire.Utf8Order;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * A derivation (formats.md §4.1). Maps and sets are kept in UTF-8 byte order ({@link Utf8Order}),
 * which is the printed order; {@code args} keeps its given order. Instances are immutable: the
 * constructor copies every collection.
 */
public record Derivation(
        SortedMap<String, DerivationOutput> outputs,
        SortedMap<String, SortedSet<String>> inputDrvs,
        SortedSet<String> inputSrcs,
        String platform,
        String builder,
        List<String> args,
        SortedMap<String, String> env) {

    public Derivation {
        outputs = Collections.unmodifiableSortedMap(copyMap(outputs));
        TreeMap<String, SortedSet<String>> inputs = new TreeMap<>(Utf8Order.COMPARATOR);
        Objects.requireNonNull(inputDrvs, "inputDrvs").forEach((k, v) ->
                inputs.put(Objects.requireNonNull(k), Collections.unmodifiableSortedSet(copySet(v))));
        inputDrvs = Collections.unmodifiableSortedMap(inputs);
        inputSrcs = Collections.unmodifiableSortedSet(copySet(inputSrcs));
        Objects.requireNonNull(platform, "platform");
        Objects.requireNonNull(builder, "builder");
        args = List.copyOf(args);
        env = Collections.unmodifiableSortedMap(copyMap(env));
    }

    /** Convenience constructor from unsorted collections. */
    public static Derivation of(Map<String, DerivationOutput> outputs, Map<String, ? extends java.util.Collection<String>> inputDrvs,
            java.util.Collection<String> inputSrcs, String platform, String builder, List<String> args,
            Map<String, String> env) {
        TreeMap<String, SortedSet<String>> inputs = new TreeMap<>(Utf8Order.COMPARATOR);
        inputDrvs.forEach((k, v) -> inputs.put(k, copySet(v)));
        return new Derivation(copyMap(outputs), inputs, copySet(inputSrcs), platform, builder, args, copyMap(env));
    }

    /**
     * Fixed-output iff exactly one output, named {@code out}, with a non-empty hash (formats.md
     * §4.5).
     */
    public boolean isFixedOutput() {
        if (outputs.size() != 1) {
            return false;
        }
        DerivationOutput out = outputs.get("out");
        return out != null && !out.hash().isEmpty();
    }

    /** Every output path set to "" and every env entry named after an output set to "" (§4.7). */
    public Derivation masked() {
        return withOutputPaths(name -> "");
    }

    /**
     * A copy whose output paths and same-named env entries are {@code pathOf.apply(outputName)}.
     * Env entries are added when absent, as upstream does when masking.
     */
    public Derivation withOutputPaths(UnaryOperator<String> pathOf) {
        TreeMap<String, DerivationOutput> newOutputs = new TreeMap<>(Utf8Order.COMPARATOR);
        TreeMap<String, String> newEnv = copyMap(env);
        outputs.forEach((name, out) -> {
            String path = pathOf.apply(name);
            newOutputs.put(name, out.withPath(path));
            newEnv.put(name, path);
        });
        return new Derivation(newOutputs, inputDrvs, inputSrcs, platform, builder, args, newEnv);
    }

    /** A copy with another inputDrvs map (used for the modulo hash, whose keys are hex hashes). */
    public Derivation withInputDrvs(SortedMap<String, SortedSet<String>> newInputDrvs) {
        return new Derivation(outputs, newInputDrvs, inputSrcs, platform, builder, args, env);
    }

    /** The references a stored .drv has: input sources and input derivation paths (§3.5). */
    public SortedSet<String> references() {
        TreeSet<String> refs = new TreeSet<>(Utf8Order.COMPARATOR);
        refs.addAll(inputSrcs);
        refs.addAll(inputDrvs.keySet());
        return Collections.unmodifiableSortedSet(refs);
    }

    private static <V> TreeMap<String, V> copyMap(Map<String, V> map) {
        TreeMap<String, V> copy = new TreeMap<>(Utf8Order.COMPARATOR);
        Objects.requireNonNull(map).forEach((k, v) -> copy.put(Objects.requireNonNull(k), Objects.requireNonNull(v)));
        return copy;
    }

    private static TreeSet<String> copySet(java.util.Collection<String> set) {
        TreeSet<String> copy = new TreeSet<>(Utf8Order.COMPARATOR);
        for (String s : Objects.requireNonNull(set)) {
            copy.add(Objects.requireNonNull(s));
        }
        return copy;
    }
}
