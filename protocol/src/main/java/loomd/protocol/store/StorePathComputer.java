package loomd.protocol.store;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Objects;
import java.util.TreeSet;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.hash.NixBase32;
import loomd.protocol.wire.Utf8Order;

/** Computes store paths with the exact fingerprints of formats.md §3.3–3.4. Thread-safe. */
public final class StorePathComputer {
    private final StoreDir storeDir;

    public StorePathComputer(StoreDir storeDir) {
        this.storeDir = Objects.requireNonNull(storeDir);
    }

    public StoreDir storeDir() {
        return storeDir;
    }

    /** The string that is hashed for {@link #makeStorePath}. */
    public String fingerprint(String type, Hash innerHash, String name) {
        requireSha256(innerHash);
        return type + ":sha256:" + innerHash.toBase16() + ":" + storeDir.path() + ":" + name;
    }

    /** {@code makeStorePath(type, innerHash, name)}; checks the name first. */
    public StorePath makeStorePath(String type, Hash innerHash, String name) throws BadStorePathException {
        StoreNames.checkStoreName(name);
        String fingerprint = fingerprint(type, innerHash, name);
        Hash outer = Hash.of(HashAlgorithm.SHA256, fingerprint.getBytes(StandardCharsets.UTF_8));
        return new StorePath(storeDir, NixBase32.encode(outer.compress(20)), name);
    }

    /** A text path ({@code wopAddTextToStore}, .drv files) for contents with this sha256. */
    public StorePath makeTextPath(String name, Hash contentsSha256, Collection<String> references)
            throws BadStorePathException {
        StringBuilder type = new StringBuilder("text");
        TreeSet<String> sorted = new TreeSet<>(Utf8Order.COMPARATOR);
        sorted.addAll(references);
        for (String reference : sorted) {
            type.append(':').append(reference);
        }
        return makeStorePath(type.toString(), contentsSha256, name);
    }

    /** A text path for these contents. */
    public StorePath makeTextPath(String name, byte[] contents, Collection<String> references)
            throws BadStorePathException {
        return makeTextPath(name, Hash.of(HashAlgorithm.SHA256, contents), references);
    }

    /** A source path: recursive sha256 add; {@code narSha256} is the NAR's hash. */
    public StorePath makeSourcePath(Hash narSha256, String name) throws BadStorePathException {
        return makeStorePath("source", narSha256, name);
    }

    /** The {@code fixed:out:[r:]<algo>:<base16>:} string of a fixed-output path. */
    public static String fixedOutputString(boolean recursive, Hash contentHash) {
        return "fixed:out:" + (recursive ? "r:" : "") + contentHash.algorithm().wireName() + ":"
                + contentHash.toBase16() + ":";
    }

    /**
     * {@code makeFixedOutputPath}: a source path for recursive sha256, otherwise an
     * {@code output:out} path over the {@link #fixedOutputString}.
     */
    public StorePath makeFixedOutputPath(boolean recursive, Hash contentHash, String name)
            throws BadStorePathException {
        if (recursive && contentHash.algorithm() == HashAlgorithm.SHA256) {
            return makeSourcePath(contentHash, name);
        }
        Hash inner = Hash.of(HashAlgorithm.SHA256,
                fixedOutputString(recursive, contentHash).getBytes(StandardCharsets.UTF_8));
        return makeStorePath("output:out", inner, name);
    }

    /** A derivation output: name is {@code drvName} for {@code out}, else {@code drvName-id}. */
    public StorePath makeOutputPath(String outputId, Hash drvHashModulo, String drvName) throws BadStorePathException {
        String name = outputId.equals("out") ? drvName : drvName + "-" + outputId;
        return makeStorePath("output:" + outputId, drvHashModulo, name);
    }

    private static void requireSha256(Hash hash) {
        if (hash.algorithm() != HashAlgorithm.SHA256) {
            throw new IllegalArgumentException("store path inner hash must be sha256, got " + hash.algorithm());
        }
    }
}
