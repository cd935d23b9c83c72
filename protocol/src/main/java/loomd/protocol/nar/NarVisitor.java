package loomd.protocol.nar;

import java.io.IOException;

/**
 * Receives a NAR's nodes in stream order from {@link NarParser}. Names and targets are raw bytes;
 * a {@code null} name means the root node. Directory entries arrive between
 * {@link #directory} and the matching {@link #endDirectory}.
 */
public interface NarVisitor {
    void directory(byte[] name) throws IOException;

    void endDirectory() throws IOException;

    /** Returns where the contents go; the parser pushes exactly {@code size} bytes, then closes it. */
    ContentSink regularFile(byte[] name, boolean executable, long size) throws IOException;

    void symlink(byte[] name, byte[] target) throws IOException;

    /** A regular file's contents, pushed in chunks. */
    interface ContentSink {
        ContentSink DISCARD = new ContentSink() {
            @Override
            public void write(byte[] bytes, int offset, int length) {
            }

            @Override
            public void close() {
            }
        };

        void write(byte[] bytes, int offset, int length) throws IOException;

        void close() throws IOException;
    }
}
