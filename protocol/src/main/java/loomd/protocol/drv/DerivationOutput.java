package loomd.protocol.drv;

import java.util.Objects;

/**
 * One output of a derivation. For a regular output {@code hashAlgo} and {@code hash} are empty;
 * for a fixed output {@code hashAlgo} is {@code [r:]<algo>} and {@code hash} the expected digest in
 * base16 (formats.md §4.1).
 */
public record DerivationOutput(String path, String hashAlgo, String hash) {
    public DerivationOutput {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(hashAlgo, "hashAlgo");
        Objects.requireNonNull(hash, "hash");
    }

    /** A regular (input-addressed) output. */
    public static DerivationOutput regular(String path) {
        return new DerivationOutput(path, "", "");
    }

    public boolean isRecursive() {
        return hashAlgo.startsWith("r:");
    }

    /** The algorithm name without the {@code r:} prefix. */
    public String algorithmName() {
        return isRecursive() ? hashAlgo.substring(2) : hashAlgo;
    }

    public DerivationOutput withPath(String newPath) {
        return new DerivationOutput(newPath, hashAlgo, hash);
    }
}
