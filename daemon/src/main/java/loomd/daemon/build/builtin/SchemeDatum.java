package loomd.daemon.build.builtin;

import java.util.ArrayList;
import java.util.List;

/**
 * The few Scheme data Guix writes into a built-in derivation with {@code object->string}: strings,
 * symbols, booleans, numbers and lists of them ({@code url}, {@code recursive?}, the {@code mirrors}
 * alist, {@code download-methods}). Read without evaluation, as upstream's {@code read/safe}: a
 * {@code #.} form or anything else this reader does not know is an error, never code.
 */
sealed interface SchemeDatum {
    record Str(String value) implements SchemeDatum {}

    record Sym(String name) implements SchemeDatum {}

    record Bool(boolean value) implements SchemeDatum {}

    record Lst(List<SchemeDatum> items) implements SchemeDatum {}

    /** A malformed or unsupported datum. */
    final class SyntaxError extends Exception {
        SyntaxError(String message) {
            super(message, null, false, false);
        }
    }

    /** Reads the first datum of {@code text}. */
    static SchemeDatum read(String text) throws SyntaxError {
        return new Reader(text).datum();
    }

    /** The datum as {@code write} would print it (for upstream's {@code ~s} in messages). */
    static String written(SchemeDatum d) {
        return switch (d) {
            case Str s -> "\"" + s.value().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            case Sym s -> s.name();
            case Bool b -> b.value() ? "#t" : "#f";
            case Lst l -> "(" + String.join(" ", l.items().stream().map(SchemeDatum::written).toList()) + ")";
        };
    }

    /** A recursive-descent reader over one string. */
    final class Reader {
        private final String text;
        private int pos;

        Reader(String text) {
            this.text = text;
        }

        SchemeDatum datum() throws SyntaxError {
            skipBlanks();
            if (pos >= text.length()) {
                throw new SyntaxError("unexpected end of datum");
            }
            char c = text.charAt(pos);
            return switch (c) {
                case '(' -> list();
                case '"' -> string();
                case '#' -> hash();
                case ')' -> throw new SyntaxError("unexpected `)'");
                case '\'' -> {
                    pos++;
                    yield datum(); // a quoted datum reads as the datum: Guix writes none, be lenient
                }
                default -> new Sym(atom());
            };
        }

        private Lst list() throws SyntaxError {
            pos++;
            List<SchemeDatum> items = new ArrayList<>();
            while (true) {
                skipBlanks();
                if (pos >= text.length()) {
                    throw new SyntaxError("unterminated list");
                }
                if (text.charAt(pos) == ')') {
                    pos++;
                    return new Lst(List.copyOf(items));
                }
                if (text.charAt(pos) == '.' && pos + 1 < text.length() && isDelimiter(text.charAt(pos + 1))) {
                    pos++; // a dotted pair: the tail is read as the last item, enough for alists of lists
                    continue;
                }
                items.add(datum());
            }
        }

        private Str string() throws SyntaxError {
            pos++;
            StringBuilder sb = new StringBuilder();
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (c == '"') {
                    return new Str(sb.toString());
                }
                if (c == '\\') {
                    if (pos >= text.length()) {
                        break;
                    }
                    char e = text.charAt(pos++);
                    sb.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        default -> e;
                    });
                } else {
                    sb.append(c);
                }
            }
            throw new SyntaxError("unterminated string");
        }

        private Bool hash() throws SyntaxError {
            String atom = atom();
            return switch (atom) {
                case "#t", "#true" -> new Bool(true);
                case "#f", "#false" -> new Bool(false);
                default -> throw new SyntaxError("unsupported datum `" + atom + "'");
            };
        }

        private String atom() {
            int start = pos;
            while (pos < text.length() && !isDelimiter(text.charAt(pos))) {
                pos++;
            }
            return text.substring(start, pos);
        }

        private static boolean isDelimiter(char c) {
            return Character.isWhitespace(c) || c == '(' || c == ')' || c == '"' || c == ';';
        }

        private void skipBlanks() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c == ';') {
                    while (pos < text.length() && text.charAt(pos) != '\n') {
                        pos++;
                    }
                } else if (Character.isWhitespace(c)) {
                    pos++;
                } else {
                    return;
                }
            }
        }
    }
}
