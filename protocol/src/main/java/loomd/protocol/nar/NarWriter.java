package loomd.protocol.nar;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/**
 * Serialises a file-system tree as a NAR (formats.md §2) to a stream, computing its SHA-256 and
 * size in the same pass. File contents are read straight into the one 1 MiB output buffer, which
 * is hashed and written when full: one copy per byte. Entries are stat'ed and opened relative to
 * their open directory ({@link SecureDirectoryStream}), which saves a full path walk per file;
 * at most {@value #MAX_OPEN_DIRECTORIES} directory descriptors are open at once.
 *
 * <p>Not thread-safe; one instance serialises one tree at a time. Sizes come from {@code lstat}
 * as upstream does: a file that shrinks meanwhile is an error, one that grows is cut at the
 * stat'ed size, so callers serialise trees nobody is writing to (store paths are read-only).
 */
public final class NarWriter {
    private static final int BUFFER_SIZE = 1 << 20;
    private static final byte[] ZEROS = new byte[8];
    private static final Set<OpenOption> READ_NO_FOLLOW = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    /** Directory descriptors held open at once along one path; deeper levels resolve full paths. */
    private static final int MAX_OPEN_DIRECTORIES = 64;

    private final NarLimits limits;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    private int position;
    private MessageDigest digest;
    private OutputStream out;
    private long size;
    private Path root;
    private FileHashes hashes;

    public NarWriter() {
        this(NarLimits.DEFAULT);
    }

    public NarWriter(NarLimits limits) {
        this.limits = Objects.requireNonNull(limits);
    }

    /** Writes the NAR of {@code root} (not followed if it is a symlink) to {@code out}; does not flush it. */
    public NarResult write(Path root, OutputStream out) throws IOException {
        return write(root, out, null);
    }

    /**
     * As {@link #write(Path, OutputStream)}, also collecting into {@code hashes} (if not null) the
     * key of each large regular file, from the bytes read for the NAR.
     */
    public NarResult write(Path root, OutputStream out, FileHashes hashes) throws IOException {
        this.out = Objects.requireNonNull(out);
        this.root = root;
        this.hashes = hashes;
        this.digest = HashAlgorithm.SHA256.newDigest();
        this.size = 0;
        this.position = 0;
        try {
            token(NarTokens.MAGIC);
            node(root, 0);
            drain();
            return new NarResult(Hash.finish(HashAlgorithm.SHA256, digest), size);
        } finally {
            this.out = null;
            this.hashes = null;
        }
    }

    /** The NAR hash and size of {@code root} without keeping the bytes. */
    public static NarResult hash(Path root) throws IOException {
        return new NarWriter().write(root, OutputStream.nullOutputStream());
    }

    private void node(Path path, int depth) throws IOException {
        writeNode(path, Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS), null, depth);
    }

    /**
     * Writes one node. Below the root, {@code parent} is the open directory when the platform
     * offers a {@link SecureDirectoryStream}: then stat and open go through the directory's file
     * descriptor ({@code fstatat}, {@code openat}) instead of resolving the full path each time.
     */
    private void writeNode(Path path, PosixFileAttributes attributes, SecureDirectoryStream<Path> parent, int depth)
            throws IOException {
        token(NarTokens.OPEN);
        token(NarTokens.TYPE);
        if (attributes.isRegularFile()) {
            token(NarTokens.REGULAR);
            boolean executable = attributes.permissions().contains(PosixFilePermission.OWNER_EXECUTE);
            if (executable) {
                token(NarTokens.EXECUTABLE);
                token(NarTokens.EMPTY);
            }
            token(NarTokens.CONTENTS);
            FileHashes.Digest key = hashes == null ? null
                    : hashes.start(root.relativize(path).toString(), executable, attributes.size());
            try (SeekableByteChannel channel = parent != null
                    ? parent.newByteChannel(path.getFileName(), READ_NO_FOLLOW)
                    : FileChannel.open(path, READ_NO_FOLLOW)) {
                contents(path, channel, attributes.size(), key);
            }
        } else if (attributes.isSymbolicLink()) {
            token(NarTokens.SYMLINK);
            token(NarTokens.TARGET);
            token(symlinkTarget(path, attributes.size()));
        } else if (attributes.isDirectory()) {
            if (depth > limits.maxDepth()) {
                throw new IOException("directory `" + path + "' is nested deeper than " + limits.maxDepth() + " levels");
            }
            token(NarTokens.DIRECTORY);
            directory(path, parent, depth);
        } else {
            throw new IOException("file `" + path + "' has an unsupported type");
        }
        token(NarTokens.CLOSE);
    }

    /**
     * The target as the JDK reads it, checked against lstat's size (the exact target length): a
     * target that is not valid UTF-8 comes back with replacement characters, and a NAR with a
     * changed target would carry a wrong hash, so such a link is refused instead.
     */
    private static byte[] symlinkTarget(Path link, long exactLength) throws IOException {
        byte[] target = NarNames.encode(Files.readSymbolicLink(link).toString());
        if (target.length != exactLength) {
            throw new IOException("symlink `" + link + "' has a target that is not valid UTF-8,"
                    + " which loomd cannot read exactly");
        }
        return target;
    }

    private void directory(Path path, SecureDirectoryStream<Path> parent, int depth) throws IOException {
        try (DirectoryStream<Path> stream = parent != null && depth <= MAX_OPEN_DIRECTORIES
                ? parent.newDirectoryStream(path.getFileName(), LinkOption.NOFOLLOW_LINKS)
                : Files.newDirectoryStream(path)) {
            SecureDirectoryStream<Path> secure = stream instanceof SecureDirectoryStream<Path> s
                    && depth < MAX_OPEN_DIRECTORIES ? s : null;
            List<Entry> entries = new ArrayList<>();
            for (Path entry : stream) {
                Path name = entry.getFileName();
                entries.add(new Entry(NarNames.encode(name.toString()), path.resolve(name)));
            }
            entries.sort((a, b) -> Arrays.compareUnsigned(a.name(), b.name()));
            for (Entry entry : entries) {
                token(NarTokens.ENTRY);
                token(NarTokens.OPEN);
                token(NarTokens.NAME);
                token(entry.name());
                token(NarTokens.NODE);
                PosixFileAttributes attributes = secure != null
                        ? secure.getFileAttributeView(entry.path().getFileName(), PosixFileAttributeView.class,
                                LinkOption.NOFOLLOW_LINKS).readAttributes()
                        : Files.readAttributes(entry.path(), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                writeNode(entry.path(), attributes, secure, depth + 1);
                token(NarTokens.CLOSE);
            }
        }
    }

    private record Entry(byte[] name, Path path) {
    }

    private void contents(Path path, SeekableByteChannel channel, long expected, FileHashes.Digest key)
            throws IOException {
        u64(expected);
        long left = expected;
        while (left > 0) {
            if (position == buffer.length) {
                drain();
            }
            int want = (int) Math.min(buffer.length - position, left);
            int n = channel.read(ByteBuffer.wrap(buffer, position, want));
            if (n < 0) {
                // Like upstream, the size comes from lstat; growth after that is not seen.
                throw new IOException("file `" + path + "' shrank while it was being serialised");
            }
            if (key != null) {
                key.update(buffer, position, n);
            }
            position += n;
            left -= n;
        }
        if (key != null) {
            key.finish();
        }
        raw(ZEROS, 0, (int) ((8 - (expected & 7)) & 7));
    }

    private void token(byte[] bytes) throws IOException {
        u64(bytes.length);
        raw(bytes, 0, bytes.length);
        raw(ZEROS, 0, (8 - (bytes.length & 7)) & 7);
    }

    private void u64(long value) throws IOException {
        if (buffer.length - position < 8) {
            drain();
        }
        for (int i = 0; i < 8; i++) {
            buffer[position++] = (byte) (value >>> (8 * i));
        }
    }

    private void raw(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            if (position == buffer.length) {
                drain();
            }
            int n = Math.min(length, buffer.length - position);
            System.arraycopy(bytes, offset, buffer, position, n);
            position += n;
            offset += n;
            length -= n;
        }
    }

    private void drain() throws IOException {
        if (position > 0) {
            digest.update(buffer, 0, position);
            out.write(buffer, 0, position);
            size += position;
            position = 0;
        }
    }
}
