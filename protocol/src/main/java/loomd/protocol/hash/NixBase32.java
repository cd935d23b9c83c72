package loomd.protocol.hash;

/**
 * Nix's base-32 (formats.md §1.3): alphabet without e, o, u, t; the byte string read as a
 * little-endian integer and printed most significant digit first. Not RFC 4648.
 */
public final class NixBase32 {
    public static final String ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
    private static final int[] VALUES = new int[128];

    static {
        java.util.Arrays.fill(VALUES, -1);
        for (int i = 0; i < ALPHABET.length(); i++) {
            VALUES[ALPHABET.charAt(i)] = i;
        }
    }

    private NixBase32() {
    }

    /** Characters needed for {@code byteCount} bytes: ceil(8n/5). */
    public static int encodedLength(int byteCount) {
        return byteCount == 0 ? 0 : (8 * byteCount - 1) / 5 + 1;
    }

    /** Bytes encoded by a string of {@code charCount} characters. */
    public static int decodedLength(int charCount) {
        return charCount * 5 / 8;
    }

    public static String encode(byte[] bytes) {
        int length = encodedLength(bytes.length);
        char[] out = new char[length];
        for (int k = length - 1, p = 0; k >= 0; k--, p++) {
            int bit = 5 * k;
            int i = bit / 8;
            int j = bit % 8;
            int c = (bytes[i] & 0xff) >> j;
            if (i + 1 < bytes.length) {
                c |= (bytes[i + 1] & 0xff) << (8 - j);
            }
            out[p] = ALPHABET.charAt(c & 0x1f);
        }
        return new String(out);
    }

    /** Decodes; rejects characters outside the alphabet and non-zero bits beyond the last byte. */
    public static byte[] decode(String text) {
        int n = decodedLength(text.length());
        byte[] out = new byte[n];
        int length = text.length();
        for (int p = 0; p < length; p++) {
            int digit = digit(text, p);
            int bit = 5 * (length - 1 - p);
            int i = bit / 8;
            int j = bit % 8;
            int fittingBits = 8 * n - bit;
            if (fittingBits < 5 && (digit >> Math.max(fittingBits, 0)) != 0) {
                throw new HashFormatException("invalid base-32 string `" + text + "' (excess bits)");
            }
            if (i < n) {
                out[i] |= (byte) (digit << j);
                if (i + 1 < n) {
                    out[i + 1] |= (byte) (digit >> (8 - j));
                }
            }
        }
        return out;
    }

    public static boolean isValidChar(char c) {
        return c < 128 && VALUES[c] >= 0;
    }

    private static int digit(String text, int index) {
        char c = text.charAt(index);
        int value = c < 128 ? VALUES[c] : -1;
        if (value < 0) {
            throw new HashFormatException("invalid base-32 character `" + c + "' in `" + text + "'");
        }
        return value;
    }
}
