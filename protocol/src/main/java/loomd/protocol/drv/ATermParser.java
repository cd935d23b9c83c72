package loomd.protocol.drv;

import loomd.protocol.wire.Utf8Order;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Parses .drv text the way upstream's {@code parseDerivation} does (formats.md §4.4): literal
 * tokens, C-style strings with {@code \n \r \t} escapes (any other escaped byte stands for itself),
 * upstream's list rule ({@code ,} continues, {@code ]} ends), later duplicates replace earlier ones,
 * trailing bytes are ignored. Unlike upstream it stops at the end of the text instead of looping and
 * enforces {@link DerivationLimits}. Like upstream it takes any bytes in a string (see
 * {@link DrvStrings} for how bytes that are not UTF-8 survive). Not recursive: the grammar has a
 * fixed depth.
 */
public final class ATermParser {
    private final byte[] text;
    private final DerivationLimits limits;
    private int pos;

    private ATermParser(byte[] text, DerivationLimits limits) {
        this.text = text;
        this.limits = limits;
    }

    public static Derivation parse(byte[] text) throws DerivationFormatException {
        return parse(text, DerivationLimits.DEFAULT);
    }

    public static Derivation parse(byte[] text, DerivationLimits limits) throws DerivationFormatException {
        if (text.length > limits.maxTextBytes()) {
            throw new DerivationFormatException("derivation is too large (" + text.length + " bytes, limit "
                    + limits.maxTextBytes() + ")", 0);
        }
        return new ATermParser(text, limits).derivation();
    }

    /** Parses and, on error, prefixes upstream's {@code error parsing derivation `<path>': }. */
    public static Derivation parse(byte[] text, String drvPath) throws DerivationFormatException {
        try {
            return parse(text);
        } catch (DerivationFormatException e) {
            throw e.withPath(drvPath);
        }
    }

    private Derivation derivation() throws DerivationFormatException {
        expect("Derive([");
        TreeMap<String, DerivationOutput> outputs = new TreeMap<>(Utf8Order.COMPARATOR);
        for (int n = 0; !endOfList(); n++) {
            count(n);
            expect("(");
            String id = string();
            expect(",");
            String path = path();
            expect(",");
            String hashAlgo = string();
            expect(",");
            String hash = string();
            expect(")");
            outputs.put(id, new DerivationOutput(path, hashAlgo, hash));
        }
        expect(",[");
        TreeMap<String, SortedSet<String>> inputDrvs = new TreeMap<>(Utf8Order.COMPARATOR);
        for (int n = 0; !endOfList(); n++) {
            count(n);
            expect("(");
            String drvPath = path();
            expect(",[");
            inputDrvs.put(drvPath, strings(false));
            expect(")");
        }
        expect(",[");
        SortedSet<String> inputSrcs = strings(true);
        expect(",");
        String platform = string();
        expect(",");
        String builder = string();
        expect(",[");
        List<String> args = new ArrayList<>();
        for (int n = 0; !endOfList(); n++) {
            count(n);
            args.add(string());
        }
        expect(",[");
        TreeMap<String, String> env = new TreeMap<>(Utf8Order.COMPARATOR);
        for (int n = 0; !endOfList(); n++) {
            count(n);
            expect("(");
            String name = string();
            expect(",");
            String value = string();
            expect(")");
            env.put(name, value);
        }
        expect(")");
        return new Derivation(outputs, inputDrvs, inputSrcs, platform, builder, args, env);
    }

    private SortedSet<String> strings(boolean arePaths) throws DerivationFormatException {
        TreeSet<String> result = new TreeSet<>(Utf8Order.COMPARATOR);
        for (int n = 0; !endOfList(); n++) {
            count(n);
            result.add(arePaths ? path() : string());
        }
        return result;
    }

    /** Upstream's rule: a ',' is consumed and an element follows; ']' is consumed and ends. */
    private boolean endOfList() {
        if (pos < text.length && text[pos] == ',') {
            pos++;
            return false;
        }
        if (pos < text.length && text[pos] == ']') {
            pos++;
            return true;
        }
        return false;
    }

    private void count(int n) throws DerivationFormatException {
        if (n >= limits.maxListEntries()) {
            throw new DerivationFormatException("too many list entries in derivation (limit "
                    + limits.maxListEntries() + ")", pos);
        }
    }

    private void expect(String token) throws DerivationFormatException {
        int start = pos;
        for (int i = 0; i < token.length(); i++) {
            if (pos >= text.length || text[pos] != token.charAt(i)) {
                throw new DerivationFormatException("expected string `" + token + "'", start);
            }
            pos++;
        }
    }

    private String path() throws DerivationFormatException {
        int start = pos;
        String s = string();
        if (s.isEmpty() || s.charAt(0) != '/') {
            throw new DerivationFormatException("bad path `" + s + "' in derivation", start);
        }
        return s;
    }

    private String string() throws DerivationFormatException {
        int start = pos;
        expect("\"");
        byte[] buf = new byte[Math.min(64, text.length)];
        int len = 0;
        while (true) {
            if (pos >= text.length) {
                throw new DerivationFormatException("unterminated string in derivation", start);
            }
            byte c = text[pos++];
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                if (pos >= text.length) {
                    throw new DerivationFormatException("unterminated string in derivation", start);
                }
                c = unescape(text[pos++]);
            }
            if (len == limits.maxStringBytes()) {
                throw new DerivationFormatException("string in derivation is too long (limit "
                        + limits.maxStringBytes() + " bytes)", start);
            }
            if (len == buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(16, Math.min(buf.length * 2, limits.maxStringBytes())));
            }
            buf[len++] = c;
        }
        return DrvStrings.decode(buf, len);
    }

    private static byte unescape(byte c) {
        return switch (c) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            default -> c;
        };
    }
}
