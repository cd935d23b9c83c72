package loomd.daemon.build.builtin;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;

import loomd.protocol.hash.Hash;
import loomd.protocol.nar.NarWriter;

/** Writing a fixed output while hashing it, and hashing one in place (flat or NAR, as declared). */
final class ContentHash {
    private static final int BUFFER = 64 * 1024; // upstream's HTTP receive buffer

    private ContentHash() {}

    /**
     * Copies {@code in} to {@code target} (created or truncated) and returns the hash of the bytes
     * copied: the flat hash, computed in the same pass. Reads are interruptible on a virtual thread.
     */
    static Hash copyFlat(InputStream in, Path target, Hash expected) throws IOException {
        MessageDigest digest = expected.algorithm().newDigest();
        try (in; OutputStream out = new BufferedOutputStream(new DigestOutputStream(Files.newOutputStream(target,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), digest), BUFFER)) {
            in.transferTo(out);
        }
        return Hash.finish(expected.algorithm(), digest);
    }

    /** The hash of {@code file} the way its derivation declares it: of the contents, or of its NAR. */
    static Hash of(Path file, boolean recursive, Hash expected) throws IOException {
        MessageDigest digest = expected.algorithm().newDigest();
        try (OutputStream sink = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
            if (recursive) {
                new NarWriter().write(file, sink);
            } else {
                try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                    in.transferTo(sink);
                }
            }
        }
        return Hash.finish(expected.algorithm(), digest);
    }
}
