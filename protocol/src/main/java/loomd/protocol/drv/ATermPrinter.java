package loomd.protocol.drv;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * Prints a {@link Derivation} in the exact ATerm form of formats.md §4.2: no whitespace, no
 * trailing newline. Two writers exist upstream and they disagree on strings, so the caller says
 * whose bytes it needs ({@link Style}).
 */
public final class ATermPrinter {
    /** Whose .drv bytes to reproduce. */
    public enum Style {
        /**
         * guix-daemon's {@code unparseDerivation}: every string quoted with the five escapes of
         * formats.md §4.3, every other byte raw, a string cut at its first NUL (C strings). This is
         * what hashDerivationModulo and the daemon's output-path check hash.
         */
        DAEMON,
        /**
         * The Guix client's {@code write-derivation} under Guile 3: platform, builder and input
         * .drv paths are written unescaped, every other string with Guile's {@code write} on an
         * ISO-8859-1 port (so {@code é} is one byte, {@code 日} is {@code \u65e5}, {@code \a},
         * {@code \x01}...). Checked against guile 3.0.8.
         */
        GUIX_CLIENT
    }

    private final Buffer out;
    private final Style style;

    private ATermPrinter(int sizeHint, Style style) {
        this.out = new Buffer(sizeHint);
        this.style = style;
    }

    /** The daemon's .drv text of {@code drv}. */
    public static byte[] print(Derivation drv) {
        return print(drv, Style.DAEMON);
    }

    /**
     * The .drv text as {@code style} writes it.
     *
     * @throws IllegalArgumentException for {@link Style#GUIX_CLIENT} when an unescaped field holds a
     *     character above U+00FF, which the Guix client cannot write either
     */
    public static byte[] print(Derivation drv, Style style) {
        ATermPrinter p = new ATermPrinter(4096, style);
        p.derivation(drv);
        return p.out.toByteArray();
    }

    /** The daemon's .drv text as a Java string (for display and tests). */
    public static String printString(Derivation drv) {
        return new String(print(drv), StandardCharsets.UTF_8);
    }

    private void derivation(Derivation drv) {
        raw("Derive([");
        boolean first = true;
        for (Map.Entry<String, DerivationOutput> e : drv.outputs().entrySet()) {
            first = comma(first);
            DerivationOutput o = e.getValue();
            tuple(e.getKey(), o.path(), o.hashAlgo(), o.hash());
        }
        raw("],[");
        first = true;
        for (Map.Entry<String, SortedSet<String>> e : drv.inputDrvs().entrySet()) {
            first = comma(first);
            raw("(");
            unescapedByClient(e.getKey());
            raw(",");
            strings(e.getValue());
            raw(")");
        }
        raw("],");
        strings(drv.inputSrcs());
        raw(",");
        unescapedByClient(drv.platform());
        raw(",");
        unescapedByClient(drv.builder());
        raw(",");
        strings(drv.args());
        raw(",[");
        first = true;
        for (Map.Entry<String, String> e : drv.env().entrySet()) {
            first = comma(first);
            tuple(e.getKey(), e.getValue());
        }
        raw("])");
    }

    private void tuple(String... fields) {
        sequence('(', List.of(fields), ')');
    }

    private boolean comma(boolean first) {
        if (!first) {
            out.write(',');
        }
        return false;
    }

    private void strings(Collection<String> values) {
        sequence('[', values, ']');
    }

    private void sequence(char open, Collection<String> values, char close) {
        out.write(open);
        boolean first = true;
        for (String s : values) {
            first = comma(first);
            string(s);
        }
        out.write(close);
    }

    private void raw(String ascii) {
        out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
    }

    private void string(String s) {
        out.write('"');
        if (style == Style.DAEMON) {
            daemonEscaped(s);
        } else {
            GuileWrite.escaped(s, out::write);
        }
        out.write('"');
    }

    /** The fields the Guix client writes with {@code display} between quotes. */
    private void unescapedByClient(String s) {
        if (style == Style.DAEMON) {
            string(s);
            return;
        }
        out.write('"');
        GuileWrite.latin1(s, out::write);
        out.write('"');
    }

    private void daemonEscaped(String s) {
        for (byte b : DrvStrings.encode(s)) {
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
}
