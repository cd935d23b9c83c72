package loomd.protocol.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;

/**
 * Writes the worker protocol's primitives (protocol.md §2) into its own buffer; {@link #flush()}
 * pushes them to the stream. Not thread-safe: one writer belongs to one connection's thread.
 */
public final class WireWriter {
    /** Small on purpose (one per connection); writes of at least this size bypass the buffer. */
    public static final int DEFAULT_BUFFER_SIZE = 8 << 10;
    private static final byte[] ZEROS = new byte[8];

    private final OutputStream out;
    private final byte[] buffer;
    private int position;
    private final OutputStream rawView = new RawView();

    public WireWriter(OutputStream out) {
        this(out, DEFAULT_BUFFER_SIZE);
    }

    public WireWriter(OutputStream out, int bufferSize) {
        this.out = Objects.requireNonNull(out);
        if (bufferSize < 64) {
            throw new IllegalArgumentException("buffer too small: " + bufferSize);
        }
        this.buffer = new byte[bufferSize];
    }

    public void writeU64(long value) throws IOException {
        if (buffer.length - position < 8) {
            drain();
        }
        for (int i = 0; i < 8; i++) {
            buffer[position++] = (byte) (value >>> (8 * i));
        }
    }

    /** An {@code int} field; values must be 0..2^32-1 (protocol.md §11.1). */
    public void writeUInt(long value) throws IOException {
        if ((value >>> 32) != 0) {
            throw new IllegalArgumentException("int field out of 32-bit range: " + value);
        }
        writeU64(value);
    }

    public void writeBool(boolean value) throws IOException {
        writeU64(value ? 1 : 0);
    }

    public void writeBytes(byte[] data) throws IOException {
        writeBytes(data, 0, data.length);
    }

    public void writeBytes(byte[] data, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.length);
        writeU64(length);
        writeRaw(data, offset, length);
        writeRaw(ZEROS, 0, (8 - (length & 7)) & 7);
    }

    public void writeString(String value) throws IOException {
        writeBytes(value.getBytes(StandardCharsets.UTF_8));
    }

    /** A string-list or path-set, in the collection's iteration order. */
    public void writeStrings(Collection<String> values) throws IOException {
        writeU64(values.size());
        for (String value : values) {
            writeString(value);
        }
    }

    public void writeStringPairs(Collection<? extends Map.Entry<String, String>> pairs) throws IOException {
        writeU64(pairs.size());
        for (Map.Entry<String, String> pair : pairs) {
            writeString(pair.getKey());
            writeString(pair.getValue());
        }
    }

    /** Bytes with no length or padding, buffered like the rest. */
    public void writeRaw(byte[] data, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.length);
        if (length >= buffer.length) {
            drain();
            out.write(data, offset, length);
            return;
        }
        if (buffer.length - position < length) {
            drain();
        }
        System.arraycopy(data, offset, buffer, position, length);
        position += length;
    }

    /** Sends everything buffered and flushes the stream. */
    public void flush() throws IOException {
        drain();
        out.flush();
    }

    /** A view that writes unframed bytes through this writer's buffer; close() only flushes. */
    public OutputStream rawOutput() {
        return rawView;
    }

    private void drain() throws IOException {
        if (position > 0) {
            out.write(buffer, 0, position);
            position = 0;
        }
    }

    private final class RawView extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            if (position == buffer.length) {
                drain();
            }
            buffer[position++] = (byte) b;
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            writeRaw(data, offset, length);
        }

        @Override
        public void flush() throws IOException {
            WireWriter.this.flush();
        }

        @Override
        public void close() throws IOException {
            WireWriter.this.flush();
        }
    }
}
