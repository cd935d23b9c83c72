package loomd.protocol.hash;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A digest with its algorithm. The array is copied in and out, so instances are immutable.
 * Typed forms: {@code sha256:<base16>} (DB column, {@link #toTypedString()}) and
 * {@code sha256:<nix-base32>} (accepted by {@link #parse(String)}).
 */
public record Hash(HashAlgorithm algorithm, byte[] bytes) {

    public Hash {
        Objects.requireNonNull(algorithm);
        bytes = bytes.clone();
        if (bytes.length != algorithm.digestSize()) {
            throw new IllegalArgumentException(algorithm + " digest must be " + algorithm.digestSize()
                    + " bytes, got " + bytes.length);
        }
    }

    /** A copy of the digest. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Hashes {@code data} with {@code algorithm}. */
    public static Hash of(HashAlgorithm algorithm, byte[] data) {
        return new Hash(algorithm, algorithm.newDigest().digest(data));
    }

    /** Completes {@code digest}, which must have been created by {@code algorithm}. */
    public static Hash finish(HashAlgorithm algorithm, MessageDigest digest) {
        return new Hash(algorithm, digest.digest());
    }

    public String toBase16() {
        return Base16.encode(bytes);
    }

    public String toNixBase32() {
        return NixBase32.encode(bytes);
    }

    /** {@code <algo>:<base16>}, the form of the DB's {@code hash} column. */
    public String toTypedString() {
        return algorithm.wireName() + ":" + toBase16();
    }

    /** {@code <algo>:<nix-base32>}. */
    public String toTypedBase32String() {
        return algorithm.wireName() + ":" + toNixBase32();
    }

    /** XOR-folds the digest into {@code size} bytes (formats.md §1.4). */
    public byte[] compress(int size) {
        byte[] out = new byte[size];
        for (int i = 0; i < bytes.length; i++) {
            out[i % size] ^= bytes[i];
        }
        return out;
    }

    /** Parses {@code <algo>:<base16 or nix-base32>}. */
    public static Hash parse(String typed) {
        int colon = typed.indexOf(':');
        if (colon < 0) {
            throw new HashFormatException("hash `" + typed + "' does not include a type");
        }
        return parse(HashAlgorithm.parse(typed.substring(0, colon)), typed.substring(colon + 1));
    }

    /** Parses a bare digest of a known algorithm: base16 if 2n characters, nix-base32 if its length. */
    public static Hash parse(HashAlgorithm algorithm, String text) {
        if (text.length() == algorithm.base16Length()) {
            return new Hash(algorithm, Base16.decode(text));
        }
        if (text.length() == algorithm.base32Length()) {
            return new Hash(algorithm, NixBase32.decode(text));
        }
        throw new HashFormatException("hash `" + text + "' has wrong length for hash type `" + algorithm + "'");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Hash that && algorithm == that.algorithm && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * algorithm.hashCode() + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toTypedString();
    }
}
