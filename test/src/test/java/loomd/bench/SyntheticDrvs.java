package loomd.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import loomd.protocol.drv.ATermPrinter;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationException;
import loomd.protocol.drv.DerivationHasher;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.drv.DerivationPaths;
import loomd.protocol.store.StoreDir;
import loomd.protocol.store.StorePathComputer;

/**
 * A synthetic package graph as a derivation-heavy client (guix build emacs -d) sends it: builder
 * sources and {@code .drv} texts in dependency order, each derivation naming earlier ones as
 * inputs, with output paths computed as the client computes them ({@link DerivationPaths}), so
 * the daemon's output check accepts every one. The shape is fixed by the seed; the run id in
 * every text makes the paths new on each run.
 */
final class SyntheticDrvs {
    /** One add-text-to-store: the name, the contents, the references, and the path it must get. */
    record Item(String name, byte[] text, Set<String> references, String path, boolean derivation) {}

    /** A few derivations most others depend on, as a toolchain is in a real graph. */
    private static final int CORE = 20;
    private static final int DRVS_PER_SOURCE = 10;
    private static final int MAX_INPUTS = 8;

    private final StoreDir storeDir;
    private final String runId;
    private final Random random;
    private final Map<String, Derivation> stored = new HashMap<>();
    private final DerivationHasher hasher = new DerivationHasher(stored::get);
    private final List<Item> items = new ArrayList<>();
    private final List<Derivation> drvs = new ArrayList<>();
    private final List<String> drvPaths = new ArrayList<>();
    private final List<String> sources = new ArrayList<>();

    private SyntheticDrvs(StoreDir storeDir, String runId, long seed) {
        this.storeDir = storeDir;
        this.runId = runId;
        this.random = new Random(seed);
    }

    /** {@code count} derivations and one builder source per ten of them, in the order to add them. */
    static List<Item> generate(int count, StoreDir storeDir, String runId, long seed) throws IOException {
        SyntheticDrvs graph = new SyntheticDrvs(storeDir, runId, seed);
        for (int i = 0; i < count; i++) {
            graph.addDerivation(i);
        }
        return List.copyOf(graph.items);
    }

    private void addDerivation(int i) throws IOException {
        if (i % DRVS_PER_SOURCE == 0) {
            addSource(i / DRVS_PER_SOURCE);
        }
        String name = "pkg-" + i + "-1." + (i % 10);
        String source = sources.get(random.nextInt(sources.size()));
        Map<String, Set<String>> inputs = pickInputs(i);
        Map<String, DerivationOutput> outputs = new LinkedHashMap<>();
        outputs.put("out", DerivationOutput.regular(""));
        if (i % 7 == 3) {
            outputs.put("lib", DerivationOutput.regular(""));
        }
        Map<String, String> env = new TreeMap<>();
        env.put("name", name);
        env.put("system", "x86_64-linux");
        env.put("builder", "/bin/sh");
        env.put("run", runId);
        env.put("inputs", String.join(" ", inputOutputPaths(inputs)));
        outputs.keySet().forEach(o -> env.put(o, ""));
        Derivation skeleton = Derivation.of(outputs, inputs, Set.of(source), "x86_64-linux", "/bin/sh",
                List.of("-e", source), env);
        try {
            Derivation drv = DerivationPaths.withComputedOutputs(skeleton, name, storeDir, hasher);
            String path = DerivationPaths.drvPath(drv, name, storeDir);
            stored.put(path, drv);
            drvs.add(drv);
            drvPaths.add(path);
            items.add(new Item(name + ".drv", ATermPrinter.print(drv), drv.references(), path, true));
        } catch (DerivationException e) {
            throw new IllegalStateException("synthetic derivation " + name, e);
        }
    }

    private void addSource(int n) throws IOException {
        String name = "builder-" + n + ".sh";
        byte[] text = ("# builder " + n + " of run " + runId + "\nexec \"$@\"\n").getBytes(StandardCharsets.UTF_8);
        String path = new StorePathComputer(storeDir).makeTextPath(name, text, List.of()).toString();
        sources.add(path);
        items.add(new Item(name, text, Set.of(), path, false));
    }

    /** Up to {@link #MAX_INPUTS} earlier derivations, a third of them from the core; each with one or all outputs. */
    private Map<String, Set<String>> pickInputs(int i) {
        Map<String, Set<String>> inputs = new TreeMap<>();
        int wanted = i == 0 ? 0 : random.nextInt(Math.min(i, MAX_INPUTS) + 1);
        for (int k = 0; k < wanted; k++) {
            int from = random.nextInt(3) == 0 ? random.nextInt(Math.min(i, CORE)) : random.nextInt(i);
            Set<String> names = drvs.get(from).outputs().keySet();
            inputs.put(drvPaths.get(from), random.nextBoolean() ? new TreeSet<>(names) : new TreeSet<>(Set.of("out")));
        }
        return inputs;
    }

    private List<String> inputOutputPaths(Map<String, Set<String>> inputs) {
        List<String> paths = new ArrayList<>();
        inputs.forEach((drv, names) -> names.forEach(n -> paths.add(stored.get(drv).outputs().get(n).path())));
        return paths;
    }
}
