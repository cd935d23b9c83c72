package loomd.protocol.nar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Parses a NAR without writing anything to disk: validates it, hashes it and measures it, and
 * can tee the exact bytes elsewhere. Reading stops at the NAR's last byte, which is how the
 * daemon finds the end of the inline NAR of {@code wopAddToStore}. Stateless and thread-safe.
 */
public final class NarHasher {
    private NarHasher() {
    }

    public static NarResult hash(InputStream in) throws IOException {
        return parse(in, NarOptions.DEFAULT).nar();
    }

    /** Hashes and copies every NAR byte to {@code tee}, which is not flushed or closed. */
    public static NarResult hash(InputStream in, OutputStream tee) throws IOException {
        return parse(in, NarOptions.DEFAULT.withTee(tee)).nar();
    }

    public static NarSummary parse(InputStream in, NarOptions options) throws IOException {
        return NarParser.parse(in, DiscardingVisitor.INSTANCE, options);
    }

    private enum DiscardingVisitor implements NarVisitor {
        INSTANCE;

        @Override
        public void directory(byte[] name) {
        }

        @Override
        public void endDirectory() {
        }

        @Override
        public ContentSink regularFile(byte[] name, boolean executable, long size) {
            return ContentSink.DISCARD;
        }

        @Override
        public void symlink(byte[] name, byte[] target) {
        }
    }
}
