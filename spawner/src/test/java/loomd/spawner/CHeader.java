package loomd.spawner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The integer constants of a C header: object-like {@code #define}s with a value and enum
 * members (implicit values count on from the previous one). Values may be literals (decimal or
 * hex, with u/l suffixes), earlier names, {@code <<}, {@code |} and parentheses; anything else
 * throws, so a header the parser cannot read fails the test instead of shrinking what it checks.
 */
final class CHeader {
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);
    private static final Pattern DEFINE = Pattern.compile("^\\s*#\\s*define\\s+(\\w+)(\\(?)[ \\t]*(.*)$",
            Pattern.MULTILINE);
    private static final Pattern ENUM = Pattern.compile("\\benum\\s*\\w*\\s*\\{([^}]*)}");
    private static final Pattern TOKEN = Pattern.compile("\\s*(0[xX][0-9a-fA-F]+|\\d+|\\w+|<<|[|()])[uUlL]*");

    private final Map<String, Long> constants = new TreeMap<>();

    private CHeader() {}

    static Map<String, Long> constants(Path header) throws IOException {
        return constants(Files.readString(header));
    }

    static Map<String, Long> constants(String source) {
        String text = COMMENT.matcher(source).replaceAll(" ");
        CHeader h = new CHeader();
        Matcher define = DEFINE.matcher(text);
        while (define.find()) {
            boolean functionLike = !define.group(2).isEmpty();
            String value = define.group(3).trim();
            if (!functionLike && !value.isEmpty()) {
                h.put(define.group(1), h.evaluate(value));
            }
        }
        Matcher enumBody = ENUM.matcher(text);
        while (enumBody.find()) {
            long next = 0;
            for (String member : enumBody.group(1).split(",")) {
                if (member.isBlank()) continue;
                String[] parts = member.split("=", 2);
                long value = parts.length == 2 ? h.evaluate(parts[1]) : next;
                h.put(parts[0].trim(), value);
                next = value + 1;
            }
        }
        return h.constants;
    }

    private void put(String name, long value) {
        if (!name.matches("[A-Za-z_]\\w*") || constants.putIfAbsent(name, value) != null) {
            throw new IllegalArgumentException("bad or repeated constant name `" + name + "'");
        }
    }

    private long evaluate(String expression) {
        Expression e = new Expression(expression);
        long value = e.or();
        e.expectEnd();
        return value;
    }

    /** Recursive descent: or := shift ('|' shift)*; shift := primary ('<<' primary)*. */
    private final class Expression {
        private final String text;
        private final Matcher token;
        private int at;
        private String peeked;

        Expression(String text) {
            this.text = text;
            this.token = TOKEN.matcher(text);
        }

        long or() {
            long value = shift();
            while ("|".equals(peek())) {
                take();
                value |= shift();
            }
            return value;
        }

        long shift() {
            long value = primary();
            while ("<<".equals(peek())) {
                take();
                value <<= primary();
            }
            return value;
        }

        long primary() {
            String t = take();
            if (t.equals("(")) {
                long value = or();
                if (!")".equals(take())) throw bad();
                return value;
            }
            if (t.matches("0[xX].*")) return Long.parseLong(t.substring(2), 16);
            if (t.matches("\\d+")) return Long.parseLong(t);
            Long known = constants.get(t);
            if (known == null) throw bad();
            return known;
        }

        void expectEnd() {
            if (peek() != null) throw bad();
        }

        private String peek() {
            if (peeked == null && text.substring(at).isBlank()) return null;
            if (peeked == null) {
                if (!token.find(at) || token.start() != at) throw bad();
                peeked = token.group(1);
                at = token.end();
            }
            return peeked;
        }

        private String take() {
            String t = peek();
            if (t == null) throw bad();
            peeked = null;
            return t;
        }

        private IllegalArgumentException bad() {
            return new IllegalArgumentException("cannot evaluate `" + text.trim() + "'");
        }
    }
}
