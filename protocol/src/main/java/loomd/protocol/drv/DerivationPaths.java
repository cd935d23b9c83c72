package loomd.protocol.drv;

import java.io.IOException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.store.StoreDir;
import loomd.protocol.store.StorePathComputer;
import loomd.protocol.wire.Utf8Order;

/**
 * Output paths and the .drv path of a derivation (formats.md §3.5, §4.7): what a client computes
 * before {@code wopAddTextToStore}, and the check the daemon runs when a .drv is registered.
 * Store names are checked as upstream does (a bad name gives
 * {@link loomd.protocol.store.BadStorePathException} with upstream's text).
 */
public final class DerivationPaths {
    private static final String DRV_EXTENSION = ".drv";

    private DerivationPaths() {}

    /**
     * Fills in the output paths (and same-named env entries) of a derivation named {@code name}
     * (the .drv name without ".drv"), whatever paths it had: steps 1-4 of §4.7.
     */
    public static Derivation withComputedOutputs(Derivation drv, String name, StoreDir storeDir,
            DerivationHasher hasher) throws IOException, DerivationException {
        Map<String, String> paths = computeOutputPaths(drv, name, storeDir, hasher);
        return drv.withOutputPaths(paths::get);
    }

    /** Output name -> the path it must have, for a derivation named {@code name}. */
    public static Map<String, String> computeOutputPaths(Derivation drv, String name, StoreDir storeDir,
            DerivationHasher hasher) throws IOException, DerivationException {
        TreeMap<String, String> result = new TreeMap<>(Utf8Order.COMPARATOR);
        if (drv.isFixedOutput()) {
            result.put("out", fixedOutputPath(drv.outputs().get("out"), name, new StorePathComputer(storeDir)));
            return result;
        }
        Hash h = new Hash(HashAlgorithm.SHA256, hasher.hashModulo(drv.masked()));
        StorePathComputer computer = new StorePathComputer(storeDir);
        for (String output : drv.outputs().keySet()) {
            result.put(output, computer.makeOutputPath(output, h, name).toString());
        }
        return result;
    }

    /**
     * The daemon's check (upstream {@code checkDerivationOutputs}): every output path, and the env
     * entry of the same name, equal the computed path.
     *
     * @throws IncorrectOutputException with upstream's text on the first mismatch, or for an
     *         unknown hash algorithm / malformed hash in a fixed output
     */
    public static void checkOutputs(String drvPath, Derivation drv, StoreDir storeDir, DerivationHasher hasher)
            throws IOException, DerivationException {
        Map<String, String> want = computeOutputPaths(drv, drvName(drvPath), storeDir, hasher);
        for (Map.Entry<String, DerivationOutput> e : drv.outputs().entrySet()) {
            String expected = want.get(e.getKey());
            String have = e.getValue().path();
            if (!have.equals(expected) || !expected.equals(drv.env().get(e.getKey()))) {
                throw IncorrectOutputException.of(drvPath, have, expected);
            }
        }
    }

    /** The store path of the .drv file itself: a text path named {@code name + ".drv"} (§3.5). */
    public static String drvPath(Derivation drv, String name, StoreDir storeDir) throws IOException {
        return new StorePathComputer(storeDir)
                .makeTextPath(name + DRV_EXTENSION, ATermPrinter.print(drv), drv.references()).toString();
    }

    /** The derivation name of a .drv store path: its store name without ".drv". */
    public static String drvName(String drvPath) {
        String base = drvPath.substring(drvPath.lastIndexOf('/') + 1);
        int dash = base.indexOf('-');
        String name = dash >= 0 ? base.substring(dash + 1) : base;
        if (!name.endsWith(DRV_EXTENSION)) {
            throw new IllegalArgumentException("not a derivation path: " + drvPath);
        }
        return name.substring(0, name.length() - DRV_EXTENSION.length());
    }

    public static boolean isDerivationPath(String path) {
        return path.endsWith(DRV_EXTENSION);
    }

    private static String fixedOutputPath(DerivationOutput out, String name, StorePathComputer computer)
            throws IOException, IncorrectOutputException {
        String algoName = out.algorithmName();
        HashAlgorithm algo = HashAlgorithm.fromName(algoName).orElseThrow(
                () -> new IncorrectOutputException("unknown hash algorithm `" + algoName + "'"));
        Hash content = new Hash(algo, parseHex(out.hash(), algo.digestSize()));
        return computer.makeFixedOutputPath(out.isRecursive(), content, name).toString();
    }

    private static byte[] parseHex(String s, int size) throws IncorrectOutputException {
        if (s.length() != size * 2) {
            throw new IncorrectOutputException("invalid hash `" + s + "'");
        }
        try {
            return HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw new IncorrectOutputException("invalid hash `" + s + "'");
        }
    }
}
