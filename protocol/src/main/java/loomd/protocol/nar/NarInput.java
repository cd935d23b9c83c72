package loomd.protocol.nar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import loomd.protocol.hash.HashAlgorithm;

/**
 * The byte source of a NAR parse. It reads exactly the bytes the grammar asks for and never
 * beyond, so a NAR embedded in a larger stream leaves the rest untouched; give it a buffered
 * stream. Every consumed byte is hashed, counted and optionally teed.
 */
final class NarInput {
    private final InputStream in;
    private final MessageDigest sha256 = HashAlgorithm.SHA256.newDigest();
    private final MessageDigest extra;
    private final OutputStream tee;
    private final byte[] header = new byte[8];
    private long size;

    NarInput(InputStream in, HashAlgorithm extraAlgorithm, OutputStream tee) {
        this.in = in;
        this.extra = extraAlgorithm == null ? null : extraAlgorithm.newDigest();
        this.tee = tee;
    }

    long size() {
        return size;
    }

    MessageDigest sha256() {
        return sha256;
    }

    MessageDigest extra() {
        return extra;
    }

    /** An unsigned 64-bit length; values of 2^63 and above are rejected as absurd. */
    long readU64(String what) throws IOException {
        readFully(header, 0, 8, what);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (header[i] & 0xff);
        }
        if (v < 0) {
            throw new NarException("bad archive: length of " + what + " is out of range");
        }
        return v;
    }

    /** A padded string token of at most {@code max} bytes. */
    byte[] readToken(int max, String what) throws IOException {
        long length = readU64(what);
        if (length > max) {
            throw new NarException("bad archive: " + what + " is " + length + " bytes long, above the limit of " + max);
        }
        byte[] token = new byte[(int) length];
        readFully(token, 0, token.length, what);
        readPadding(length);
        return token;
    }

    void readPadding(long length) throws IOException {
        int padding = (int) ((8 - (length & 7)) & 7);
        if (padding > 0) {
            readFully(header, 0, padding, "padding");
            for (int i = 0; i < padding; i++) {
                if (header[i] != 0) {
                    throw new NarException("bad archive: non-zero padding");
                }
            }
        }
    }

    /** Reads at most {@code length} bytes (at least one); throws at end of stream. */
    int readSome(byte[] target, int offset, int length, String what) throws IOException {
        int n = in.read(target, offset, length);
        if (n < 0) {
            throw truncated(what);
        }
        consumed(target, offset, n);
        return n;
    }

    void readFully(byte[] target, int offset, int length, String what) throws IOException {
        int done = 0;
        while (done < length) {
            int n = in.read(target, offset + done, length - done);
            if (n < 0) {
                throw truncated(what);
            }
            done += n;
        }
        consumed(target, offset, length);
    }

    private void consumed(byte[] bytes, int offset, int length) throws IOException {
        sha256.update(bytes, offset, length);
        if (extra != null) {
            extra.update(bytes, offset, length);
        }
        if (tee != null) {
            tee.write(bytes, offset, length);
        }
        size += length;
    }

    private NarException truncated(String what) {
        return new NarException("bad archive: unexpected end-of-file at byte " + size + " (while reading " + what + ")");
    }
}
