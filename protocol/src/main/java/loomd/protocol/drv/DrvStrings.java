package loomd.protocol.drv;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of a .drv string and the Java string that stands for them, losslessly both ways.
 *
 * <p>Why not plain UTF-8: the Guix client writes a .drv through a Guile bytevector port, which
 * is ISO-8859-1, so a character such as {@code é} lands in the file as the single byte 0xE9, and
 * guix-daemon takes any bytes. Valid UTF-8 decodes as usual; a string that is not valid UTF-8
 * keeps every byte above 0x7F as the lone surrogate {@code U+DC00 + byte} (Python's
 * "surrogateescape"), which {@link #encode} turns back into that byte. Valid UTF-8 never decodes
 * to a lone surrogate, so the two cases cannot be confused.
 */
public final class DrvStrings {
    private static final char ESCAPED_BYTE_BASE = 0xDC00;

    private DrvStrings() {
    }

    public static String decode(byte[] buf, int len) {
        if (isAscii(buf, len)) {
            return new String(buf, 0, len, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, 0, len))
                    .toString();
        } catch (CharacterCodingException notUtf8) {
            char[] chars = new char[len];
            for (int i = 0; i < len; i++) {
                chars[i] = buf[i] >= 0 ? (char) buf[i] : (char) (ESCAPED_BYTE_BASE + (buf[i] & 0xFF));
            }
            return new String(chars);
        }
    }

    /** The raw byte a character of {@link #decode}'s fallback stands for, or -1. */
    static int escapedByte(char c) {
        return c >= ESCAPED_BYTE_BASE + 0x80 && c <= ESCAPED_BYTE_BASE + 0xFF ? c - ESCAPED_BYTE_BASE : -1;
    }

    /** The exact bytes {@code s} stands for in a .drv (and so in a builder's environment). */
    public static byte[] encode(String s) {
        if (!hasSurrogate(s)) {
            return s.getBytes(StandardCharsets.UTF_8); // the common case, and the fast one
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length() + 8);
        int i = 0;
        while (i < s.length()) {
            int raw = escapedByte(s.charAt(i));
            if (raw >= 0) {
                out.write(raw);
                i++;
            } else {
                int cp = s.codePointAt(i);
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return out.toByteArray();
    }

    private static boolean hasSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isAscii(byte[] buf, int len) {
        for (int i = 0; i < len; i++) {
            if (buf[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
