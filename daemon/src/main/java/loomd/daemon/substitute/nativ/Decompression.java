package loomd.daemon.substitute.nativ;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

import com.github.luben.zstd.ZstdInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.XZInputStream;

/** The {@code Compression} methods of a narinfo, decoded while streaming (guix/narinfo.scm's list). */
final class Decompression {
    private Decompression() {
    }

    static boolean supported(String method) {
        return switch (method) {
            case "none", "gzip", "zstd", "lzip", "xz", "bzip2" -> true;
            default -> false;
        };
    }

    static InputStream open(String method, InputStream raw) throws IOException {
        return switch (method) {
            case "none" -> raw;
            case "gzip" -> new GZIPInputStream(raw, 64 * 1024);
            case "zstd" -> new ZstdInputStream(raw);
            case "xz" -> new XZInputStream(raw);
            case "bzip2" -> new BZip2CompressorInputStream(raw);
            case "lzip" -> lzip(raw);
            default -> throw new IOException("unsupported compression method: " + method);
        };
    }

    /**
     * One lzip member: "LZIP", version 1, the coded dictionary size, then raw LZMA (lc=3, lp=0, pb=2)
     * ending with an end marker; the 20-byte trailer after it is not needed here (the NAR hash is
     * checked instead), and a NAR is one member.
     */
    private static InputStream lzip(InputStream raw) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        byte[] header = new byte[6];
        try {
            in.readFully(header);
        } catch (EOFException e) {
            throw new IOException("truncated lzip header");
        }
        if (header[0] != 'L' || header[1] != 'Z' || header[2] != 'I' || header[3] != 'P' || header[4] != 1) {
            throw new IOException("not an lzip stream");
        }
        int coded = header[5] & 0xff;
        int dictSize = 1 << (coded & 0x1f);
        dictSize -= (dictSize / 16) * ((coded >> 5) & 7);
        if (dictSize < 4096 || dictSize > (1 << 29)) throw new IOException("invalid lzip dictionary size");
        return new LZMAInputStream(in, -1, 3, 0, 2, dictSize, null);
    }
}
