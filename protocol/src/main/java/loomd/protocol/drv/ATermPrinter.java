package loomd.protocol.drv;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.SortedSet;

/**
 * Prints a {@link Derivation} in the exact ATerm form of formats.md §4.2: no whitespace, no
 * trailing newline, strings UTF-8 with the five escapes of §4.3 and every other byte raw. Like
 * upstream, a string is cut at its first NUL, so hashes of such (hostile) derivations match.
 */
public final class ATermPrinter {
    private final Buffer out;

    private ATermPrinter(int sizeHint) {
        out = new Buffer(sizeHint);
    }

    /** An unsynchronised growable byte array (ByteArrayOutputStream locks on every byte). */
    private static final class Buffer {
        private byte[] bytes;
        private int size;

        Buffer(int capacity) {
            bytes = new byte[capacity];
        }

        void write(int b) {
            if (size == bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(16, bytes.length * 2));
            }
            bytes[size++] = (byte) b;
        }

        void writeBytes(byte[] b) {
            if (size + b.length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size + b.length, bytes.length * 2));
            }
            System.arraycopy(b, 0, bytes, size, b.length);
            size += b.length;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }
    }

    /** The .drv text of {@code drv}. */
    public static byte[] print(Derivation drv) {
        ATermPrinter p = new ATermPrinter(4096);
        p.derivation(drv);
        return p.out.toByteArray();
    }

    /** The .drv text as a Java string (for display and tests). */
    public static String printString(Derivation drv) {
        return new String(print(drv), StandardCharsets.UTF_8);
    }

    private void derivation(Derivation drv) {
        raw("Derive([");
        boolean first = true;
        for (Map.Entry<String, DerivationOutput> e : drv.outputs().entrySet()) {
            first = comma(first);
            DerivationOutput o = e.getValue();
            raw("(");
            string(e.getKey());
            raw(",");
            string(o.path());
            raw(",");
            string(o.hashAlgo());
            raw(",");
            string(o.hash());
            raw(")");
        }
        raw("],[");
        first = true;
        for (Map.Entry<String, SortedSet<String>> e : drv.inputDrvs().entrySet()) {
            first = comma(first);
            raw("(");
            string(e.getKey());
            raw(",");
            strings(e.getValue());
            raw(")");
        }
        raw("],");
        strings(drv.inputSrcs());
        raw(",");
        string(drv.platform());
        raw(",");
        string(drv.builder());
        raw(",");
        strings(drv.args());
        raw(",[");
        first = true;
        for (Map.Entry<String, String> e : drv.env().entrySet()) {
            first = comma(first);
            raw("(");
            string(e.getKey());
            raw(",");
            string(e.getValue());
            raw(")");
        }
        raw("])");
    }

    private boolean comma(boolean first) {
        if (!first) {
            out.write(',');
        }
        return false;
    }

    private void strings(Collection<String> values) {
        out.write('[');
        boolean first = true;
        for (String s : values) {
            first = comma(first);
            string(s);
        }
        out.write(']');
    }

    private void raw(String ascii) {
        out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
    }

    private void string(String s) {
        out.write('"');
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            if (b == 0) {
                break; // upstream prints C strings: a NUL ends the string (formats.md §4.3 quirk 1)
            }
            switch (b) {
                case '"' -> { out.write('\\'); out.write('"'); }
                case '\\' -> { out.write('\\'); out.write('\\'); }
                case '\n' -> { out.write('\\'); out.write('n'); }
                case '\r' -> { out.write('\\'); out.write('r'); }
                case '\t' -> { out.write('\\'); out.write('t'); }
                default -> out.write(b);
            }
        }
        out.write('"');
    }
}
