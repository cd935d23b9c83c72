package loomd.test.build;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.ATermPrinter;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationHasher;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.drv.DerivationPaths;
import loomd.protocol.store.StoreDir;
import loomd.test.support.DaemonProcess;

/**
 * Derivations as Guix's {@code derivation} procedure makes them (the caller's environment plus one
 * variable per output, nothing else: transcript 10's {@code .drv} text shows it), with busybox from the
 * transcripts' README as builder, added to the daemon's store as the client would. The same inputs give
 * the same {@code .drv} file as in the transcripts.
 */
public final class Derivations {
    public static final String S = "/gnu/store";
    public static final String BUSYBOX = S + "/8rf4p72mqhs27mbwlb2j98h6g2l15hgj-busybox";
    public static final String BB = BUSYBOX + "/bin/busybox";

    private final DaemonProcess daemon;
    private final StoreClient client;

    public Derivations(DaemonProcess daemon, StoreClient client) {
        this.daemon = daemon;
        this.client = client;
    }

    /** Adds the busybox tree ({@code bin/busybox}, {@code bin/sh -> busybox}) as the README says. */
    public String addBusybox(Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("busybox/bin"));
        if (!Files.exists(bin.resolve("busybox"))) {
            Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
            Files.createSymbolicLink(bin.resolve("sh"), Path.of("busybox"));
        }
        return client.addToStore("busybox", true, "sha256", tmp.resolve("busybox"));
    }

    /** A derivation running {@code sh -c script} with busybox; {@code inputs}: input drv to output names. */
    public Derivation make(String name, String script, List<String> outputs, Map<String, List<String>> inputs,
            Map<String, String> env, DerivationOutput fixed) throws Exception {
        Map<String, DerivationOutput> outs = new TreeMap<>();
        Map<String, String> e = new TreeMap<>(env);
        for (String o : outputs) {
            outs.put(o, fixed != null ? fixed : DerivationOutput.regular(""));
            e.put(o, "");
        }
        Derivation blank = Derivation.of(outs, inputs, List.of(BUSYBOX), "x86_64-linux", BB,
                List.of("sh", "-c", script), e);
        DerivationHasher hasher = DerivationHasher.ofText(p -> Files.readAllBytes(physical(p)));
        return DerivationPaths.withComputedOutputs(blank, name, new StoreDir(S), hasher);
    }

    /**
     * A derivation of a built-in builder as Guix's {@code raw-derivation} makes it for {@code url-fetch}
     * or {@code git-fetch}: no arguments, the given environment, one fixed output {@code out}.
     */
    Derivation makeBuiltin(String name, String builder, Map<String, String> env, List<String> sources,
            DerivationOutput fixed) throws Exception {
        Map<String, String> e = new TreeMap<>(env);
        e.put("out", "");
        Derivation blank = Derivation.of(Map.of("out", fixed), Map.of(), sources, "x86_64-linux", builder, List.of(), e);
        DerivationHasher hasher = DerivationHasher.ofText(p -> Files.readAllBytes(physical(p)));
        return DerivationPaths.withComputedOutputs(blank, name, new StoreDir(S), hasher);
    }

    public Derivation make(String name, String script) throws Exception {
        return make(name, script, List.of("out"), Map.of(), Map.of(), null);
    }

    /** Adds the {@code .drv} as {@code add-text-to-store}, as the client does; returns its path. */
    public String add(Derivation drv) throws Exception {
        // The name is not in the environment (Guix puts none there); the "out" path ends with it.
        String name = drv.outputs().get("out").path().substring(S.length() + 1 + 33);
        List<String> refs = new ArrayList<>(drv.references());
        return client.addTextToStore(name + ".drv", ATermPrinter.print(drv), refs);
    }

    public Path physical(String storePath) {
        return daemon.physicalStoreDir().resolve(storePath.substring(S.length() + 1));
    }
}
