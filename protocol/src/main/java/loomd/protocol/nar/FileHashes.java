package loomd.protocol.nar;

import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/**
 * The SHA-256 of each large regular file's own NAR (the file alone, as a root: so the executable
 * bit is part of it), collected while a tree is restored ({@link NarRestorer}) or serialised
 * ({@link NarWriter}) from the bytes that pass anyway. It is the key the daemon's deduplication
 * names {@code .links} entries by (daemon.md §8.1 step 5); having it from the first pass saves
 * reading every large file a second time (§9.6).
 *
 * <p>Files are named by their path relative to the tree's root, {@code /}-separated ({@code ""}
 * for a root that is itself a file), so the tree may be renamed between the pass and the use.
 * Filled by one thread; hand it to another only through a happens-before edge (a queue, a join).
 */
public final class FileHashes {
    /** A file's key with what it was computed for: a user re-checks both against the file. */
    public record Entry(long size, boolean executable, Hash hash) {}

    private final long minSize;
    private final Map<String, Entry> entries = new HashMap<>();

    /** Collects the files of at least {@code minSize} bytes. */
    public FileHashes(long minSize) {
        this.minSize = minSize;
    }

    /** The key of the single regular file at a tree's root: the tree's own NAR hash, nothing to compute. */
    public static FileHashes ofRootFile(long minSize, long size, boolean executable, Hash narHash) {
        FileHashes h = new FileHashes(minSize);
        if (size >= minSize) h.entries.put("", new Entry(size, executable, narHash));
        return h;
    }

    public Optional<Entry> get(String relativePath) {
        return Optional.ofNullable(entries.get(relativePath));
    }

    public int size() {
        return entries.size();
    }

    /** A digest for the file at {@code relativePath}, or null if it is too small to be collected. */
    Digest start(String relativePath, boolean executable, long size) {
        return size < minSize ? null : new Digest(relativePath, executable, size);
    }

    /** One file's NAR, hashed from its framing and the contents pushed through {@link #update}. */
    final class Digest {
        private final String path;
        private final boolean executable;
        private final long size;
        private final MessageDigest sha256 = HashAlgorithm.SHA256.newDigest();

        private Digest(String path, boolean executable, long size) {
            this.path = path;
            this.executable = executable;
            this.size = size;
            token(NarTokens.MAGIC);
            token(NarTokens.OPEN);
            token(NarTokens.TYPE);
            token(NarTokens.REGULAR);
            if (executable) {
                token(NarTokens.EXECUTABLE);
                token(NarTokens.EMPTY);
            }
            token(NarTokens.CONTENTS);
            u64(size);
        }

        void update(byte[] bytes, int offset, int length) {
            sha256.update(bytes, offset, length);
        }

        /** Ends the file's NAR (padding, close) and records its key. */
        void finish() {
            sha256.update(new byte[(int) ((8 - (size & 7)) & 7)]);
            token(NarTokens.CLOSE);
            entries.put(path, new Entry(size, executable, Hash.finish(HashAlgorithm.SHA256, sha256)));
        }

        private void token(byte[] bytes) {
            u64(bytes.length);
            sha256.update(bytes);
            sha256.update(new byte[(8 - (bytes.length & 7)) & 7]);
        }

        private void u64(long value) {
            for (int i = 0; i < 8; i++) sha256.update((byte) (value >>> (8 * i)));
        }
    }
}
