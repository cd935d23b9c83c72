package loomd.daemon.substitute.nativ;

import java.math.BigInteger;

/**
 * ECDSA on the Ed25519 curve, as libgcrypt computes it for Guix's keys: {@code guix archive
 * --generate-key} asks for {@code (ecdsa (curve Ed25519) (flags rfc6979))}, so narinfo signatures
 * are {@code (sig-val (ecdsa (r ..) (s ..)))}, not EdDSA, and no JDK provider checks them. The public
 * key {@code q} is the 32-byte Ed25519 point encoding; the signed value is the SHA-256 hash
 * truncated to the order's 253 bits (libgcrypt's DSA hash normalisation). Verification only, with
 * public data, so plain {@link BigInteger} arithmetic (not constant time) is fine.
 */
final class EdwardsEcdsa {
    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    private static final BigInteger D = BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
    private static final BigInteger D2 = D.shiftLeft(1).mod(P);
    private static final BigInteger N = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
    private static final BigInteger SQRT_M1 = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);
    private static final Point G = Point.affine(
            new BigInteger("15112221349535400772501151409588531511454012693041857206046113283949847762202"),
            new BigInteger("46316835694926478169428394003475163141307993866256225615783033603165251855960"));

    private EdwardsEcdsa() {
    }

    /** Extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z; the unified addition needs no inversion. */
    private record Point(BigInteger x, BigInteger y, BigInteger z, BigInteger t) {
        static final Point ZERO = affine(BigInteger.ZERO, BigInteger.ONE);

        static Point affine(BigInteger x, BigInteger y) {
            return new Point(x, y, BigInteger.ONE, x.multiply(y).mod(P));
        }

        Point add(Point o) {
            BigInteger a = y.subtract(x).multiply(o.y.subtract(o.x)).mod(P);
            BigInteger b = y.add(x).multiply(o.y.add(o.x)).mod(P);
            BigInteger c = t.multiply(D2).multiply(o.t).mod(P);
            BigInteger d = z.shiftLeft(1).multiply(o.z).mod(P);
            BigInteger e = b.subtract(a), f = d.subtract(c), g = d.add(c), h = b.add(a);
            return new Point(e.multiply(f).mod(P), g.multiply(h).mod(P), f.multiply(g).mod(P), e.multiply(h).mod(P));
        }

        BigInteger affineX() {
            return x.multiply(z.modInverse(P)).mod(P);
        }

        boolean isZero() {
            return x.signum() == 0 && y.subtract(z).mod(P).signum() == 0;
        }
    }

    /** Whether (r, s) signs {@code sha256} under the key encoded as {@code q} (32 bytes). */
    static boolean verify(byte[] q, byte[] sha256, BigInteger r, BigInteger s) {
        Point key = decode(q);
        if (key == null || r.signum() <= 0 || s.signum() <= 0 || r.compareTo(N) >= 0 || s.compareTo(N) >= 0) {
            return false;
        }
        BigInteger e = new BigInteger(1, sha256);
        int excess = sha256.length * 8 - N.bitLength();
        if (excess > 0) e = e.shiftRight(excess);
        BigInteger w = s.modInverse(N);
        Point sum = twoScalars(e.multiply(w).mod(N), G, r.multiply(w).mod(N), key);
        return !sum.isZero() && sum.affineX().mod(N).equals(r);
    }

    /** u1·A + u2·B with one pass over the bits (Shamir's trick). */
    private static Point twoScalars(BigInteger u1, Point a, BigInteger u2, Point b) {
        Point ab = a.add(b);
        Point acc = Point.ZERO;
        for (int i = Math.max(u1.bitLength(), u2.bitLength()) - 1; i >= 0; i--) {
            acc = acc.add(acc);
            boolean x = u1.testBit(i), y = u2.testBit(i);
            if (x && y) acc = acc.add(ab);
            else if (x) acc = acc.add(a);
            else if (y) acc = acc.add(b);
        }
        return acc;
    }

    /** RFC 8032 §5.1.3 point decoding (also libgcrypt's for a 32-byte, or 0x40-prefixed, Ed25519 q). */
    private static Point decode(byte[] q) {
        byte[] enc = q.length == 33 && q[0] == 0x40 ? java.util.Arrays.copyOfRange(q, 1, 33) : q;
        if (enc.length != 32) return null;
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) be[i] = enc[31 - i];
        boolean xOdd = (be[0] & 0x80) != 0;
        be[0] &= 0x7f;
        BigInteger y = new BigInteger(1, be);
        if (y.compareTo(P) >= 0) return null;
        BigInteger yy = y.multiply(y).mod(P);
        BigInteger u = yy.subtract(BigInteger.ONE).mod(P);
        BigInteger v = D.multiply(yy).add(BigInteger.ONE).mod(P);
        BigInteger xx = u.multiply(v.modInverse(P)).mod(P);
        BigInteger x = xx.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
        if (!x.multiply(x).mod(P).equals(xx)) x = x.multiply(SQRT_M1).mod(P);
        if (!x.multiply(x).mod(P).equals(xx)) return null;
        if (x.signum() == 0 && xOdd) return null;
        if (x.testBit(0) != xOdd) x = P.subtract(x);
        return Point.affine(x, y);
    }
}
