package loomd.daemon.substitute.nativ;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The s-expressions of libgcrypt that Guix keeps keys, ACLs and signatures in: the canonical form
 * ({@code (6:public...)}) and the advanced text form libgcrypt prints ({@code (q #8D15...#)}, tokens,
 * quoted strings, {@code |base64|}). Atoms hold their bytes as ISO-8859-1 characters, so two
 * expressions are equal exactly when their bytes are, which is how upstream compares keys.
 */
public sealed interface Sexp {
    record Atom(String latin1) implements Sexp {
        public byte[] bytes() {
            return latin1.getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    record SList(List<Sexp> items) implements Sexp {
        public SList {
            items = List.copyOf(items);
        }

        /** The first sub-list whose head is the atom {@code name}, searched depth first (find-sexp-token). */
        public Optional<SList> find(String name) {
            if (head().equals(Optional.of(name))) return Optional.of(this);
            for (Sexp s : items) {
                if (s instanceof SList l) {
                    Optional<SList> found = l.find(name);
                    if (found.isPresent()) return found;
                }
            }
            return Optional.empty();
        }

        public Optional<String> head() {
            return !items.isEmpty() && items.getFirst() instanceof Atom a ? Optional.of(a.latin1()) : Optional.empty();
        }

        /** The bytes of the atom after the head, as in {@code (q #..#)}. */
        public Optional<byte[]> value() {
            return items.size() >= 2 && items.get(1) instanceof Atom a ? Optional.of(a.bytes()) : Optional.empty();
        }
    }

    /** Thrown for text that is no s-expression. */
    final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message);
        }
    }

    static Sexp parse(String text) {
        Parser p = new Parser(text.getBytes(StandardCharsets.ISO_8859_1));
        p.skipSpace();
        Sexp s = p.expr();
        p.skipSpace();
        if (p.pos != p.in.length) throw new Malformed("trailing data after s-expression");
        return s;
    }

    /** A recursive-descent reader of one expression; depth is bounded by the input's size (small files). */
    final class Parser {
        private static final int MAX_DEPTH = 64;
        private final byte[] in;
        private int pos;
        private int depth;

        private Parser(byte[] in) {
            this.in = in;
        }

        private Sexp expr() {
            if (pos >= in.length) throw new Malformed("unexpected end of s-expression");
            byte c = in[pos];
            if (c == '(') return list();
            return atom();
        }

        private SList list() {
            if (++depth > MAX_DEPTH) throw new Malformed("s-expression nested too deeply");
            pos++;
            List<Sexp> items = new ArrayList<>();
            while (true) {
                skipSpace();
                if (pos >= in.length) throw new Malformed("unbalanced s-expression");
                if (in[pos] == ')') {
                    pos++;
                    depth--;
                    return new SList(items);
                }
                items.add(expr());
            }
        }

        private Atom atom() {
            byte c = in[pos];
            if (c == '#') return new Atom(latin1(HexFormat.of().parseHex(delimited('#').replaceAll("\\s", ""))));
            if (c == '|') return new Atom(latin1(Base64.getMimeDecoder().decode(delimited('|'))));
            if (c == '"') return quoted();
            if (c >= '0' && c <= '9') {
                int start = pos;
                while (pos < in.length && in[pos] >= '0' && in[pos] <= '9') pos++;
                if (pos < in.length && in[pos] == ':') {
                    int len = Integer.parseInt(new String(in, start, pos - start, StandardCharsets.ISO_8859_1));
                    pos++;
                    if (len < 0 || pos + len > in.length) throw new Malformed("truncated canonical atom");
                    String s = new String(in, pos, len, StandardCharsets.ISO_8859_1);
                    pos += len;
                    return new Atom(s);
                }
                pos = start;
            }
            int start = pos;
            while (pos < in.length && token(in[pos])) pos++;
            if (pos == start) throw new Malformed("unexpected character in s-expression");
            return new Atom(new String(in, start, pos - start, StandardCharsets.ISO_8859_1));
        }

        private String delimited(char end) {
            int start = ++pos;
            while (pos < in.length && in[pos] != end) pos++;
            if (pos >= in.length) throw new Malformed("unterminated " + end + " in s-expression");
            return new String(in, start, pos++ - start, StandardCharsets.ISO_8859_1);
        }

        private Atom quoted() {
            StringBuilder sb = new StringBuilder();
            pos++;
            while (pos < in.length && in[pos] != '"') {
                if (in[pos] == '\\' && pos + 1 < in.length) pos++;
                sb.append((char) (in[pos++] & 0xff));
            }
            if (pos++ >= in.length) throw new Malformed("unterminated string in s-expression");
            return new Atom(sb.toString());
        }

        private static boolean token(byte c) {
            return Character.isLetterOrDigit(c) || "-./_:*+=".indexOf(c) >= 0;
        }

        private void skipSpace() {
            while (pos < in.length && (in[pos] == ' ' || in[pos] == '\n' || in[pos] == '\t' || in[pos] == '\r')) pos++;
        }

        private static String latin1(byte[] b) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }
}
