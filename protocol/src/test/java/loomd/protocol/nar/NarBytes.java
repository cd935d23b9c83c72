package loomd.protocol.nar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds (possibly malformed) NAR byte strings token by token. */
final class NarBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static NarBytes archive() {
        return new NarBytes().t("nix-archive-1");
    }

    NarBytes t(String... tokens) {
        for (String token : tokens) {
            bytes(token.getBytes(StandardCharsets.UTF_8));
        }
        return this;
    }

    NarBytes bytes(byte[] token) {
        u64(token.length);
        out.writeBytes(token);
        out.writeBytes(new byte[(8 - (token.length & 7)) & 7]);
        return this;
    }

    NarBytes u64(long value) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (value >>> (8 * i)));
        }
        return this;
    }

    NarBytes raw(byte... raw) {
        out.writeBytes(raw);
        return this;
    }

    /** A regular file node with these contents. */
    NarBytes file(String contents) {
        return t("(", "type", "regular", "contents").bytes(contents.getBytes(StandardCharsets.UTF_8)).t(")");
    }

    NarBytes entry(String name) {
        return t("entry", "(", "name", name, "node");
    }

    byte[] build() {
        return out.toByteArray();
    }
}
