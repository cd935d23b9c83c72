package loomd.protocol.wire;

import java.util.Comparator;

/**
 * Ascending byte order of the UTF-8 encodings, which is code-point order. Upstream sorts
 * {@code std::set<std::string>} by bytes; {@link String#compareTo} compares UTF-16 units and
 * differs for supplementary characters, so sets that go on the wire use this comparator.
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
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }
}
