package loomd.daemon.substitute.nativ;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * The authorized keys ({@code C/acl}) and the check of a narinfo's {@code Signature} against them,
 * in upstream's order (guix/pki.scm, {@code signature-case}): a signature naming its data and key,
 * else corrupt; the key in the ACL, else unauthorized; the signed hash equal to the narinfo's, else a
 * hash mismatch; then the signature over the 32 hash bytes: ECDSA on the Ed25519 curve as Guix's keys
 * sign ({@link EdwardsEcdsa}), or EdDSA through the JDK's provider.
 */
public final class Acl {
    /** How a signature was judged; only {@link #VALID} lets a narinfo be used. */
    public enum Verdict { VALID, UNSIGNED, CORRUPT, UNAUTHORIZED, HASH_MISMATCH, INVALID }

    /** DER prefix of an Ed25519 SubjectPublicKeyInfo, before the 32 key bytes (RFC 8410). */
    private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private final List<Sexp> keys;

    private Acl(List<Sexp> keys) {
        this.keys = List.copyOf(keys);
    }

    /** Reads {@code file}; a missing file is the empty ACL, as upstream's {@code current-acl}. */
    public static Acl load(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return new Acl(List.of());
        }
        return parse(text);
    }

    static Acl parse(String text) {
        Sexp acl = Sexp.parse(text);
        if (!(acl instanceof Sexp.SList list) || !list.head().equals(Optional.of("acl"))) {
            throw new Sexp.Malformed("invalid access-control list");
        }
        List<Sexp> keys = new ArrayList<>();
        for (Sexp e : list.items().subList(1, list.items().size())) {
            if (e instanceof Sexp.SList entry && entry.head().equals(Optional.of("entry")) && entry.items().size() == 3
                    && entry.items().get(2).equals(Sexp.parse("(tag (guix import))"))) {
                keys.add(entry.items().get(1));
            } else {
                throw new Sexp.Malformed("invalid access-control list");
            }
        }
        return new Acl(keys);
    }

    public int size() {
        return keys.size();
    }

    /** Judges {@code narinfo}'s signature. */
    public Verdict verify(Narinfo narinfo) {
        if (narinfo.signature().isEmpty() || narinfo.signedSha256().isEmpty()) return Verdict.UNSIGNED;
        Sexp.SList sig;
        try {
            sig = signatureSexp(narinfo.signature().get());
        } catch (RuntimeException e) {
            return Verdict.CORRUPT;
        }
        Optional<Sexp.SList> data = sig.find("data");
        Optional<Sexp.SList> key = sig.find("public-key");
        Optional<Sexp.SList> value = sig.find("sig-val");
        if (data.isEmpty() || key.isEmpty()) return Verdict.CORRUPT;
        if (!keys.contains(key.get())) return Verdict.UNAUTHORIZED;
        Optional<byte[]> signed = data.get().find("hash").flatMap(h -> h.items().size() == 3
                && h.items().get(2) instanceof Sexp.Atom a ? Optional.of(a.bytes()) : Optional.empty());
        if (signed.isEmpty() || !Arrays.equals(signed.get(), narinfo.signedSha256().get())) return Verdict.HASH_MISMATCH;
        if (value.isEmpty()) return Verdict.INVALID;
        return signatureHolds(key.get(), value.get(), signed.get()) ? Verdict.VALID : Verdict.INVALID;
    }

    /** The {@code Signature} field {@code 1;host;base64} as an s-expression (narinfo-signature->canonical-sexp). */
    static Sexp.SList signatureSexp(String field) {
        String[] parts = field.split(";", -1);
        if (parts.length != 3 || !parts[0].equals("1")) throw new Sexp.Malformed("unsupported signature: " + field);
        String text = new String(Base64.getMimeDecoder().decode(parts[2]), StandardCharsets.UTF_8);
        if (Sexp.parse(text) instanceof Sexp.SList l) return l;
        throw new Sexp.Malformed("signature is not a list");
    }

    /**
     * The curve arithmetic of one signature: {@code ecdsa} (what Guix's keys make, see
     * {@link EdwardsEcdsa}) or {@code eddsa} (keys made with libgcrypt's {@code eddsa} flag), each
     * result kept in a bounded cache since a narinfo is checked at every lookup.
     */
    private static boolean signatureHolds(Sexp.SList publicKey, Sexp.SList sigVal, byte[] message) {
        Optional<byte[]> q = publicKey.find("q").flatMap(Sexp.SList::value);
        Optional<byte[]> r = sigVal.find("r").flatMap(Sexp.SList::value);
        Optional<byte[]> s = sigVal.find("s").flatMap(Sexp.SList::value);
        boolean ed = publicKey.find("curve").flatMap(Sexp.SList::value)
                .map(c -> new String(c, StandardCharsets.ISO_8859_1).equals("Ed25519")).orElse(false);
        boolean ecdsa = sigVal.find("ecdsa").isPresent();
        if (!ed || q.isEmpty() || r.isEmpty() || s.isEmpty() || (!ecdsa && sigVal.find("eddsa").isEmpty())) return false;
        HexFormat hex = HexFormat.of();
        Checked key = new Checked(ecdsa, hex.formatHex(q.get()), hex.formatHex(message), hex.formatHex(r.get()),
                hex.formatHex(s.get()));
        return CHECKED.get(key, k -> ecdsa
                ? EdwardsEcdsa.verify(q.get(), message, new BigInteger(1, r.get()), new BigInteger(1, s.get()))
                : eddsa(q.get(), r.get(), s.get(), message));
    }

    private record Checked(boolean ecdsa, String q, String message, String r, String s) { }

    private static final Cache<Checked, Boolean> CHECKED = Caffeine.newBuilder().maximumSize(100_000).build();

    private static boolean eddsa(byte[] q, byte[] r, byte[] s, byte[] message) {
        try {
            Signature v = Signature.getInstance("Ed25519");
            v.initVerify(cachedKey(q));
            v.update(message);
            byte[] rs = new byte[64];
            pad(r, rs, 0);
            pad(s, rs, 32);
            return v.verify(rs);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Decoded keys by {@code q} in hex: a cache serves the same few keys for every narinfo. */
    private static final Cache<String, PublicKey> KEYS = Caffeine.newBuilder().maximumSize(1_000).build();

    private static PublicKey cachedKey(byte[] q) throws GeneralSecurityException {
        String hex = HexFormat.of().formatHex(q);
        PublicKey known = KEYS.getIfPresent(hex);
        if (known != null) return known;
        PublicKey key = publicKey(q);
        KEYS.put(hex, key);
        return key;
    }

    /** The JDK key for libgcrypt's {@code q}: 32 bytes, or 33 with the 0x40 "compressed" prefix. */
    static PublicKey publicKey(byte[] q) throws GeneralSecurityException {
        byte[] raw = q.length == 33 && q[0] == 0x40 ? Arrays.copyOfRange(q, 1, 33) : q;
        if (raw.length != 32) throw new GeneralSecurityException("bad Ed25519 key length " + raw.length);
        byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + 32);
        System.arraycopy(raw, 0, der, X509_PREFIX.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    }

    /** libgcrypt prints MPIs without leading zeros; the signature halves are 32 bytes each. */
    private static void pad(byte[] v, byte[] out, int at) {
        if (v.length > 32) throw new IllegalArgumentException("signature value too long");
        System.arraycopy(v, 0, out, at + 32 - v.length, v.length);
    }
}
