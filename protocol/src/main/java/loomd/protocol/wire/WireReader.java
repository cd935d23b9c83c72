package loomd.protocol.wire;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Reads the worker protocol's primitives (protocol.md §2) from a blocking JDK stream through its
 * own buffer. Not thread-safe: one reader belongs to one connection's thread.
 *
 * <p>Every length or count is checked against {@link WireLimits} before anything is allocated,
 * and byte fields grow their array only as data arrives, so a lying prefix costs nothing.
 */
public final class WireReader {
    /**
     * Small on purpose: one reader per connection, and idle connections may number in the
     * thousands. Large reads through {@link #rawInput()} bypass the buffer.
     */
    public static final int DEFAULT_BUFFER_SIZE = 8 << 10;
    private static final int INITIAL_FIELD_CHUNK = 64 << 10;

    private final InputStream in;
    private final WireLimits limits;
    private final byte[] buffer;
    private int position;
    private int limit;
    private final InputStream rawView = new RawView();

    public WireReader(InputStream in) {
        this(in, WireLimits.DEFAULT);
    }

    public WireReader(InputStream in, WireLimits limits) {
        this(in, limits, DEFAULT_BUFFER_SIZE);
    }

    public WireReader(InputStream in, WireLimits limits, int bufferSize) {
        this.in = Objects.requireNonNull(in);
        this.limits = Objects.requireNonNull(limits);
        if (bufferSize < 64) {
            throw new IllegalArgumentException("buffer too small: " + bufferSize);
        }
        this.buffer = new byte[bufferSize];
    }

    public WireLimits limits() {
        return limits;
    }

    /** Bytes received from the stream but not yet consumed (0 between well-formed requests). */
    public int bufferedByteCount() {
        return limit - position;
    }

    /** A full 64-bit little-endian value; the sign bit is just the top bit. */
    public long readU64() throws IOException {
        if (limit - position < 8 && !fillAtLeast(8)) {
            throw new TruncatedInputException("a 64-bit integer");
        }
        long value = decodeLong(buffer, position);
        position += 8;
        return value;
    }

    /**
     * Like {@link #readUInt()}, but a clean end of stream before the first byte yields empty: the
     * client closing the connection between operations (protocol.md §4).
     */
    public OptionalLong readUIntOrEof() throws IOException {
        return atEndOfStream() ? OptionalLong.empty() : OptionalLong.of(readUInt());
    }

    /**
     * True if nothing is buffered and the stream has ended; otherwise false once at least one byte
     * is buffered (waiting for it if need be). The allocation-free form of {@link #readUIntOrEof()}.
     */
    public boolean atEndOfStream() throws IOException {
        return limit == position && !fillAtLeast(1);
    }

    /** An {@code int} field: 0..2^32-1; non-zero high bytes are rejected as upstream does. */
    public long readUInt() throws IOException {
        long value = readU64();
        if ((value >>> 32) != 0) {
            throw new ProtocolException("implementation cannot deal with > 32-bit integers");
        }
        return value;
    }

    /**
     * An {@code int} field as the Guix client reads it: only the low 32 bits count, whatever the
     * high bytes hold (the daemon side uses the strict {@link #readUInt()}).
     */
    public long readLow32() throws IOException {
        return readU64() & 0xffffffffL;
    }

    /** A bool: any non-zero {@code int} is true. */
    public boolean readBool() throws IOException {
        return readUInt() != 0;
    }

    /** A list or pair count, checked against its limit. */
    public int readCount(LimitKind kind) throws IOException {
        return limits.check(kind, readUInt());
    }

    /** A {@code bytes} field of the given kind, padding verified. */
    public byte[] readBytes(LimitKind kind) throws IOException {
        return readBytesOf(limits.check(kind, readUInt()));
    }

    private byte[] readBytesOf(int length) throws IOException {
        byte[] data = new byte[Math.min(length, INITIAL_FIELD_CHUNK)];
        int filled = 0;
        while (filled < length) {
            if (filled == data.length) {
                data = Arrays.copyOf(data, (int) Math.min(length, 2L * data.length));
            }
            int n = readSome(data, filled, data.length - filled);
            if (n < 0) {
                throw new TruncatedInputException("a string of " + length + " bytes");
            }
            filled += n;
        }
        skipPadding(length);
        return data;
    }

    /**
     * A {@code string} field decoded as UTF-8 (invalid sequences become U+FFFD). A field already in
     * the buffer (every path, every small request) is decoded in place, without a copy.
     */
    public String readString(LimitKind kind) throws IOException {
        int length = limits.check(kind, readUInt());
        if (length > limit - position) {
            return new String(readBytesOf(length), StandardCharsets.UTF_8);
        }
        String value = new String(buffer, position, length, StandardCharsets.UTF_8);
        position += length;
        skipPadding(length);
        return value;
    }

    /** A {@code string-list}, in wire order, each element bounded by {@code elementKind}. */
    public List<String> readStrings(LimitKind elementKind) throws IOException {
        int count = readCount(LimitKind.LIST);
        List<String> result = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            result.add(readString(elementKind));
        }
        return result;
    }

    /** A {@code path-set}: duplicates collapse, sorted in byte order. Not checked with assertStorePath. */
    public SortedSet<String> readPathSet() throws IOException {
        SortedSet<String> result = new TreeSet<>(Utf8Order.COMPARATOR);
        result.addAll(readStrings(LimitKind.PATH));
        return result;
    }

    /** A {@code string-pairs} field, in wire order. */
    public List<Map.Entry<String, String>> readStringPairs() throws IOException {
        int count = readCount(LimitKind.PAIRS);
        List<Map.Entry<String, String>> result = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            String name = readString(LimitKind.STRING);
            String value = readString(LimitKind.STRING);
            result.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
        }
        return result;
    }

    /** Reads exactly {@code length} bytes into {@code target} (no framing, no padding). */
    public void readFully(byte[] target, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, target.length);
        int done = 0;
        while (done < length) {
            int n = readSome(target, offset + done, length - done);
            if (n < 0) {
                throw new TruncatedInputException(length + " raw bytes");
            }
            done += n;
        }
    }

    /** Consumes the zero padding that follows a field of {@code length} bytes. */
    public void skipPadding(long length) throws IOException {
        int padding = (int) ((8 - (length & 7)) & 7);
        if (padding == 0) {
            return;
        }
        if (limit - position < padding && !fillAtLeast(padding)) {
            throw new TruncatedInputException("padding");
        }
        for (int i = 0; i < padding; i++) {
            if (buffer[position + i] != 0) {
                throw new ProtocolException("non-zero padding");
            }
        }
        position += padding;
    }

    /**
     * A view of the same buffered stream, for data that is not framed as a field (the NAR that
     * follows {@code wopAddToStore}). Bytes read through it are gone from this reader and vice
     * versa. Closing the view does nothing.
     */
    public InputStream rawInput() {
        return rawView;
    }

    /** Copies at most {@code length} bytes, reading if none is buffered; -1 at end of stream. */
    private int readSome(byte[] target, int offset, int length) throws IOException {
        if (limit == position && !fillAtLeast(1)) {
            return -1;
        }
        int n = Math.min(length, limit - position);
        System.arraycopy(buffer, position, target, offset, n);
        position += n;
        return n;
    }

    /** Ensures {@code needed} unread bytes are buffered; false on end of stream before that. */
    private boolean fillAtLeast(int needed) throws IOException {
        if (limit - position >= needed) {
            return true;
        }
        if (buffer.length - position < needed) {
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            limit -= position;
            position = 0;
        }
        while (limit - position < needed) {
            int n = in.read(buffer, limit, buffer.length - limit);
            if (n < 0) {
                return false;
            }
            limit += n;
        }
        return true;
    }

    static long decodeLong(byte[] b, int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return v;
    }

    private final class RawView extends InputStream {
        @Override
        public int read() throws IOException {
            if (limit == position && !fillAtLeast(1)) {
                return -1;
            }
            return buffer[position++] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, target.length);
            if (length == 0) {
                return 0;
            }
            if (limit > position) {
                int n = Math.min(length, limit - position);
                System.arraycopy(buffer, position, target, offset, n);
                position += n;
                return n;
            }
            if (length >= buffer.length) {
                return in.read(target, offset, length);
            }
            if (!fillAtLeast(1)) {
                return -1;
            }
            return read(target, offset, length);
        }

        @Override
        public int available() throws IOException {
            return (limit - position) + in.available();
        }

        @Override
        public void close() {
            // The connection owns the underlying stream.
        }
    }
}
