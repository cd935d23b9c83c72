package loomd.protocol.nar;

import java.nio.charset.StandardCharsets;

/** The literal tokens of the NAR grammar (formats.md §2.2). */
final class NarTokens {
    static final byte[] MAGIC = ascii("nix-archive-1");
    static final byte[] OPEN = ascii("(");
    static final byte[] CLOSE = ascii(")");
    static final byte[] TYPE = ascii("type");
    static final byte[] REGULAR = ascii("regular");
    static final byte[] DIRECTORY = ascii("directory");
    static final byte[] SYMLINK = ascii("symlink");
    static final byte[] EXECUTABLE = ascii("executable");
    static final byte[] EMPTY = new byte[0];
    static final byte[] CONTENTS = ascii("contents");
    static final byte[] TARGET = ascii("target");
    static final byte[] ENTRY = ascii("entry");
    static final byte[] NAME = ascii("name");
    static final byte[] NODE = ascii("node");

    /** Longer than every keyword: a longer token where a keyword belongs is rejected unread. */
    static final int MAX_KEYWORD_LENGTH = 16;

    private NarTokens() {
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static String show(byte[] token) {
        return new String(token, StandardCharsets.UTF_8);
    }
}
