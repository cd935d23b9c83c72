package loomd.protocol.export;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.Objects;
import java.util.TreeSet;
import java.nio.file.Path;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.NarWriter;
import loomd.protocol.wire.Utf8Order;

/**
 * Writes export items (formats.md §5.2) and bundle markers (§5.1). An item is: the NAR, the magic,
 * the path, the sorted references, the deriver, then the signature flag and, if signing, the
 * signature of the signed hash. Nothing is buffered here; callers give a buffered stream.
 */
public final class ExportWriter {
    private static final byte[] ZEROS = new byte[8];

    /** Writes one complete NAR of the path to the stream it is given. */
    @FunctionalInterface
    public interface NarSource {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Produces the signature string for a signed hash (the daemon calls {@code guix authenticate sign}). */
    @FunctionalInterface
    public interface Signer {
        String sign(byte[] signedHash) throws IOException;
    }

    private ExportWriter() {}

    /**
     * Writes one item and returns its signed hash. {@code signer} null means unsigned (flag 0).
     */
    public static byte[] writeItem(OutputStream out, NarSource nar, String path, Collection<String> references,
            String deriver, Signer signer) throws IOException {
        MessageDigest digest = HashAlgorithm.SHA256.newDigest();
        DigestOutputStream hashed = new DigestOutputStream(nonClosing(out), digest);
        nar.writeTo(hashed);
        writeU64(hashed, ExportFormat.EXPORT_MAGIC);
        writeString(hashed, path);
        TreeSet<String> sorted = new TreeSet<>(Utf8Order.COMPARATOR);
        sorted.addAll(references);
        writeU64(hashed, sorted.size());
        for (String ref : sorted) {
            writeString(hashed, ref);
        }
        writeString(hashed, Objects.requireNonNull(deriver));
        byte[] signedHash = digest.digest();
        if (signer == null) {
            writeU64(out, 0);
        } else {
            String signature = signer.sign(signedHash.clone());
            writeU64(out, 1);
            writeBytes(out, signature.getBytes(StandardCharsets.ISO_8859_1));
        }
        return signedHash;
    }

    /** Writes one item whose NAR is the serialisation of {@code root} (loomd.protocol.nar.NarWriter). */
    public static byte[] writeItem(OutputStream out, Path root, String path, Collection<String> references,
            String deriver, Signer signer) throws IOException {
        return writeItem(out, o -> new NarWriter().write(root, o), path, references, deriver, signer);
    }

    /** Writes the u64 marker: 1 before an item, 0 after the last. */
    public static void writeMarker(OutputStream out, boolean itemFollows) throws IOException {
        writeU64(out, itemFollows ? ExportFormat.MARKER_ITEM : ExportFormat.MARKER_END);
    }

    static void writeU64(OutputStream out, long v) throws IOException {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        out.write(b);
    }

    static void writeString(OutputStream out, String s) throws IOException {
        writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    static void writeBytes(OutputStream out, byte[] b) throws IOException {
        writeU64(out, b.length);
        out.write(b);
        out.write(ZEROS, 0, (8 - (b.length & 7)) & 7);
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
