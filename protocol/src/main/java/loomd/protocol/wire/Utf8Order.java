package loomd.protocol.wire;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Ascending byte order of the UTF-8 encodings, which is code-point order. Upstream sorts
 * {@code std::set<std::string>} by bytes; {@link String#compareTo} compares UTF-16 units and
 * differs for supplementary characters, so sets that go on the wire use this comparator.
 *
 * <p>A lone surrogate U+DC80..U+DCFF stands for the raw byte 0x80..0xFF of a string that was not
 * UTF-8 (see {@code loomd.protocol.drv.DrvStrings}); such strings are compared by those bytes.
 */
public final class Utf8Order {
    public static final Comparator<String> COMPARATOR = Utf8Order::compare;

    private Utf8Order() {
    }

    public static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                if (isRawByte(ca) || isRawByte(cb)) {
                    return Arrays.compareUnsigned(bytes(a, i), bytes(b, j));
                }
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    private static boolean isRawByte(int c) {
        return c >= 0xDC80 && c <= 0xDCFF;
    }

    /** The bytes {@code s} stands for, from index {@code from} on. */
    private static byte[] bytes(String s, int from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = from; i < s.length(); ) {
            int c = s.codePointAt(i);
            if (isRawByte(c)) {
                out.write(c - 0xDC00);
            } else {
                out.writeBytes(Character.toString(c).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(c);
        }
        return out.toByteArray();
    }
}
