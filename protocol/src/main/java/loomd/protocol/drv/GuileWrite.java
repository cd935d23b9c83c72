package loomd.protocol.drv;

import java.util.function.IntConsumer;

/**
 * How Guile 3 puts a string on an ISO-8859-1 port (a bytevector port, which the Guix client
 * writes .drv text to): {@link #escaped} as {@code write} does inside the quotes,
 * {@link #latin1} as {@code display} does. Rules measured on guile 3.0.8 over every code point.
 */
final class GuileWrite {
    private static final String C0_ESCAPES = "abtnvfr"; // U+0007..U+000D

    private GuileWrite() {
    }

    /** Characters of a string as Guile's {@code write} emits them, without the quotes. */
    static void escaped(String s, IntConsumer out) {
        s.codePoints().forEach(cp -> escapedChar(fromDrvString(cp), out));
    }

    /** Characters of a string as Guile's {@code display} emits them on an ISO-8859-1 port. */
    static void latin1(String s, IntConsumer out) {
        s.codePoints().forEach(cp -> {
            int c = fromDrvString(cp);
            if (c > 0xFF) {
                throw new IllegalArgumentException("the Guix client cannot write character U+"
                        + Integer.toHexString(c) + " unescaped in a derivation");
            }
            out.accept(c);
        });
    }

    private static void escapedChar(int c, IntConsumer out) {
        if (c == '"' || c == '\\') {
            out.accept('\\');
            out.accept(c);
        } else if (c >= 0x07 && c <= 0x0D) {
            out.accept('\\');
            out.accept(C0_ESCAPES.charAt(c - 0x07));
        } else if (isPrintedRaw(c)) {
            out.accept(c);
        } else if (c <= 0xFF) {
            hex(out, 'x', c, 2);
        } else if (c <= 0xFFFF) {
            hex(out, 'u', c, 4);
        } else {
            hex(out, 'U', c, 6);
        }
    }

    /** Graphic characters the port can encode; U+00A0 and U+00AD are not "graphic" for Guile. */
    private static boolean isPrintedRaw(int c) {
        return (c >= 0x20 && c <= 0x7E) || (c >= 0xA1 && c <= 0xFF && c != 0xAD);
    }

    private static void hex(IntConsumer out, char kind, int c, int digits) {
        out.accept('\\');
        out.accept(kind);
        String h = Integer.toHexString(c);
        for (int i = h.length(); i < digits; i++) {
            out.accept('0');
        }
        h.chars().forEach(out);
    }

    /** A raw byte kept by {@link DrvStrings} was that Latin-1 character in the client's string. */
    private static int fromDrvString(int cp) {
        int raw = cp <= 0xFFFF ? DrvStrings.escapedByte((char) cp) : -1;
        return raw >= 0 ? raw : cp;
    }
}
