package loomd.protocol.export;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.store.StoreDir;
import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.Utf8Order;
import loomd.protocol.wire.WireLimits;

/**
 * Reads an export bundle (formats.md §5) item by item, without buffering ahead: it reads from the
 * given stream exactly the bytes of the bundle, so the caller can keep using the stream (or feed it
 * from {@code STDERR_READ} replies that must not over-ask, protocol.md §5). Give it a buffered
 * stream for speed.
 *
 * <p>Usage: {@code while (r.nextItem()) { ExportItem item = r.readItem(nar -> restore(nar)); }}.
 * Every length and count is bounded by {@link WireLimits}; truncation and bad markers give an
 * {@link ExportFormatException}. Not thread-safe.
 */
public final class ExportReader {
    /**
     * Consumes exactly one NAR from the stream it is given, e.g. {@code NarRestorer.restore(in, dir)}
     * or {@code NarHasher.hash(in)} (both stop at the NAR's last byte). It must not read past the
     * NAR's end: wrap nothing that reads ahead around the stream.
     */
    @FunctionalInterface
    public interface NarHandler {
        void read(InputStream nar) throws IOException;
    }

    private final HashingInput in;
    private final WireLimits limits;
    private final StoreDir storeDir;

    /** {@code storeDir} non-null checks path, references and deriver as upstream's readStorePath does. */
    public ExportReader(InputStream in, WireLimits limits, StoreDir storeDir) {
        this.in = new HashingInput(Objects.requireNonNull(in));
        this.limits = Objects.requireNonNull(limits);
        this.storeDir = storeDir;
    }

    public ExportReader(InputStream in) {
        this(in, WireLimits.DEFAULT, null);
    }

    /** Reads the bundle marker: true if an item follows, false at the end marker. */
    public boolean nextItem() throws IOException {
        long marker = readU64("a bundle marker");
        if (marker == ExportFormat.MARKER_ITEM) {
            return true;
        }
        if (marker == ExportFormat.MARKER_END) {
            return false;
        }
        throw new ExportFormatException(ExportFormat.BAD_MARKER);
    }

    /** Reads one item (after its marker): the NAR through {@code nar}, then the metadata. */
    public ExportItem readItem(NarHandler nar) throws IOException {
        MessageDigest digest = HashAlgorithm.SHA256.newDigest();
        in.hashInto(digest);
        try {
            nar.read(in);
            if (readU64("the export magic") != ExportFormat.EXPORT_MAGIC) {
                throw new ExportFormatException(ExportFormat.BAD_MAGIC);
            }
            String path = readPath("the store path");
            int count = limits.check(LimitKind.LIST, readInt("the reference count"));
            TreeSet<String> refs = new TreeSet<>(Utf8Order.COMPARATOR);
            for (int i = 0; i < count; i++) {
                refs.add(readPath("a reference"));
            }
            String deriver = readString(LimitKind.PATH, "the deriver");
            if (!deriver.isEmpty()) {
                checkStorePath(deriver);
            }
            byte[] signedHash = digest.digest();
            in.hashInto(null);
            long flag = readInt("the signature flag");
            Optional<String> signature = flag == 1
                    ? Optional.of(new String(readBytes(LimitKind.STRING, "the signature"), StandardCharsets.ISO_8859_1))
                    : Optional.empty();
            return new ExportItem(path, refs, deriver, signature, signedHash);
        } finally {
            in.hashInto(null);
        }
    }

    private String readPath(String what) throws IOException {
        String p = readString(LimitKind.PATH, what);
        checkStorePath(p);
        return p;
    }

    private void checkStorePath(String p) throws IOException {
        if (storeDir != null) {
            storeDir.assertStorePath(p);
        }
    }

    private String readString(LimitKind kind, String what) throws IOException {
        return new String(readBytes(kind, what), StandardCharsets.UTF_8);
    }

    private byte[] readBytes(LimitKind kind, String what) throws IOException {
        int length = limits.check(kind, readInt("the length of " + what));
        byte[] data = readFully(length, what);
        int padding = (8 - (length & 7)) & 7;
        for (byte b : readFully(padding, "padding")) {
            if (b != 0) {
                throw new ExportFormatException("non-zero padding");
            }
        }
        return data;
    }

    private long readInt(String what) throws IOException {
        long v = readU64(what);
        if ((v >>> 32) != 0) {
            throw new ExportFormatException("implementation cannot deal with > 32-bit integers");
        }
        return v;
    }

    private long readU64(String what) throws IOException {
        byte[] b = readFully(8, what);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    /** Reads exactly n bytes, growing the array only as data arrives (a lying prefix costs nothing). */
    private byte[] readFully(int n, String what) throws IOException {
        byte[] data = in.readNBytes(n);
        if (data.length != n) {
            throw new ExportFormatException("unexpected end-of-file (while reading " + what + " of an export item)");
        }
        return data;
    }

    /** Passes reads through, feeding every consumed byte to the current digest (if any). */
    private static final class HashingInput extends InputStream {
        private final InputStream in;
        private MessageDigest digest;

        HashingInput(InputStream in) {
            this.in = in;
        }

        void hashInto(MessageDigest d) {
            digest = d;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0 && digest != null) {
                digest.update((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = in.read(buf, off, len);
            if (n > 0 && digest != null) {
                digest.update(buf, off, n);
            }
            return n;
        }

        @Override
        public void close() {
            // The caller owns the underlying stream.
        }
    }
}
