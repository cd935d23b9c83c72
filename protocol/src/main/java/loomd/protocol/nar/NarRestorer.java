package loomd.protocol.nar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Restores a NAR stream into a path that must not exist yet, hashing it in the same pass.
 *
 * <p>What is written: directories 0755, regular files 0644, or 0755 when the NAR marks them
 * executable (never in flat mode), symlinks with their exact target (see {@link SymlinkCreator}).
 * Timestamps and ownership are left as created: the daemon's canonicalisation (formats.md §2.6)
 * sets 0444/0555 and mtime 1. On any failure, malformed input or I/O error alike, everything
 * created so far is deleted before the exception propagates.
 */
public final class NarRestorer {
    private static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"));
    private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"));
    private static final Set<PosixFilePermission> EXEC_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    private final SymlinkCreator symlinks;

    /** A restorer that creates symlinks through the JDK, refusing targets it cannot keep exactly. */
    public NarRestorer() {
        this(SymlinkCreator.JDK);
    }

    /** A restorer that creates symlinks through {@code symlinks}; it is stateless and may be shared. */
    public NarRestorer(SymlinkCreator symlinks) {
        this.symlinks = Objects.requireNonNull(symlinks);
    }

    public NarSummary restore(InputStream in, Path target) throws IOException {
        return restore(in, target, NarOptions.DEFAULT);
    }

    /**
     * Parses one NAR from {@code in} (buffered, read exactly to the NAR's end) into {@code target}.
     *
     * @throws FileAlreadyExistsException if {@code target} exists (nothing is read then)
     * @throws NarException if the NAR is malformed; nothing is left on disk
     */
    public NarSummary restore(InputStream in, Path target, NarOptions options) throws IOException {
        return restore(in, target, options, null);
    }

    /**
     * As {@link #restore(InputStream, Path, NarOptions)}, also collecting into {@code hashes} (if not
     * null) the key of each large regular file as written (in flat mode: not executable).
     */
    public NarSummary restore(InputStream in, Path target, NarOptions options, FileHashes hashes) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "restore target already exists");
        }
        Writer writer = new Writer(target, options.flat(), hashes);
        try {
            return NarParser.parse(in, writer, options);
        } catch (IOException | RuntimeException | Error e) {
            writer.abort(e);
            throw e;
        }
    }

    private final class Writer implements NarVisitor {
        private final Path target;
        private final boolean flat;
        private final FileHashes hashes;
        private final List<Path> directories = new ArrayList<>();
        private boolean rootCreated;
        private FileChannel openFile;

        Writer(Path target, boolean flat, FileHashes hashes) {
            this.target = target;
            this.flat = flat;
            this.hashes = hashes;
        }

        @Override
        public void directory(byte[] name) throws IOException {
            Path path = pathFor(name, false);
            if (path != null) {
                Files.createDirectory(path, DIR_MODE);
                rootCreated |= name == null;
            }
            directories.add(path);
        }

        @Override
        public void endDirectory() {
            directories.removeLast();
        }

        @Override
        public ContentSink regularFile(byte[] name, boolean executable, long size) throws IOException {
            Path path = pathFor(name, true);
            if (path == null) {
                return ContentSink.DISCARD;
            }
            FileChannel channel = FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FILE_MODE);
            openFile = channel;
            rootCreated |= name == null;
            if (executable && !flat) {
                Files.setPosixFilePermissions(path, EXEC_MODE);
            }
            FileHashes.Digest key = hashes == null ? null
                    : hashes.start(target.relativize(path).toString(), executable && !flat, size);
            return new ContentSink() {
                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    if (key != null) {
                        key.update(bytes, offset, length);
                    }
                    ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                }

                @Override
                public void close() throws IOException {
                    openFile = null;
                    channel.close();
                    if (key != null) {
                        key.finish();
                    }
                }
            };
        }

        @Override
        public void symlink(byte[] name, byte[] target) throws IOException {
            Path path = pathFor(name, false);
            if (path != null) {
                symlinks.create(path, NarNames.decode(target, "symlink target"));
                rootCreated |= name == null;
            }
        }

        /** Where a node goes, or null when it is being discarded (flat mode, non-file root). */
        private Path pathFor(byte[] name, boolean regular) throws NarException {
            if (name == null) {
                return flat && !regular ? null : target;
            }
            Path parent = directories.getLast();
            return parent == null ? null : parent.resolve(NarNames.decode(name, "file name"));
        }

        void abort(Throwable cause) {
            try {
                if (openFile != null) {
                    openFile.close();
                }
                if (rootCreated) {
                    deleteTree(target);
                }
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }

    /** Deletes a tree without following symlinks; a missing path is fine. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
