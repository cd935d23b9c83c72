package loomd.protocol.hash;

/** Lowercase hex out, either case in (formats.md §1.2). */
public final class Base16 {
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Base16() {
    }

    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = DIGITS[bytes[i] & 0xf];
        }
        return new String(out);
    }

    public static byte[] decode(String text) {
        if ((text.length() & 1) != 0) {
            throw new HashFormatException("invalid base-16 string `" + text + "' (odd length)");
        }
        byte[] out = new byte[text.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) ((digit(text, 2 * i) << 4) | digit(text, 2 * i + 1));
        }
        return out;
    }

    public static boolean isValid(String text) {
        if ((text.length() & 1) != 0) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.digit(text.charAt(i), 16) < 0 || text.charAt(i) > 'f') {
                return false;
            }
        }
        return true;
    }

    private static int digit(String text, int index) {
        char c = text.charAt(index);
        int value = c <= 'f' ? Character.digit(c, 16) : -1;
        if (value < 0) {
            throw new HashFormatException("invalid base-16 character `" + c + "' in `" + text + "'");
        }
        return value;
    }
}
