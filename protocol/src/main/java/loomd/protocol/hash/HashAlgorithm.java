package loomd.protocol.hash;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The hash algorithms a daemon accepts by name (formats.md §1.1). All are supported: the JDK
 * provides all but {@code blake2s-256}, which {@link Blake2s256} implements.
 */
public enum HashAlgorithm {
    MD5("md5", 16, "MD5"),
    SHA1("sha1", 20, "SHA-1"),
    SHA256("sha256", 32, "SHA-256"),
    SHA512("sha512", 64, "SHA-512"),
    SHA3_256("sha3-256", 32, "SHA3-256"),
    SHA3_512("sha3-512", 64, "SHA3-512"),
    BLAKE2S_256("blake2s-256", 32, "BLAKE2s-256 (loomd)");

    private final String wireName;
    private final int digestSize;
    private final String jdkName;

    HashAlgorithm(String wireName, int digestSize, String jdkName) {
        this.wireName = wireName;
        this.digestSize = digestSize;
        this.jdkName = jdkName;
    }

    /** The exact upstream name, e.g. {@code sha256}. */
    public String wireName() {
        return wireName;
    }

    public int digestSize() {
        return digestSize;
    }

    public int base16Length() {
        return 2 * digestSize;
    }

    public int base32Length() {
        return NixBase32.encodedLength(digestSize);
    }

    /** Always true today; kept so callers can stay correct if an algorithm is ever dropped. */
    public boolean isSupported() {
        return jdkName != null;
    }

    /** A fresh digest. */
    public MessageDigest newDigest() {
        if (this == BLAKE2S_256) {
            return new Blake2s256();
        }
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + jdkName, e);
        }
    }

    /** The algorithm with this exact name, or empty ("unknown hash type" upstream). */
    public static Optional<HashAlgorithm> fromName(String name) {
        for (HashAlgorithm algorithm : values()) {
            if (algorithm.wireName.equals(name)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    /** Like {@link #fromName} but throws with upstream's text {@code unknown hash type `x'}. */
    public static HashAlgorithm parse(String name) {
        return fromName(name).orElseThrow(() -> new HashFormatException("unknown hash type `" + name + "'"));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
