package loomd.daemon.store.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Deleting trees that may be read-only (canonical store items are 0555 directories). */
public final class FileTrees {
    private static final Set<StandardOpenOption> CREATE_NEW =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    /** A store file's final mode from the start, so canonicalising it usually changes only its mtime. */
    private static final FileAttribute<Set<PosixFilePermission>> READ_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r--r--r--"));

    private FileTrees() {}

    /**
     * Creates the regular file {@code path} (mode 0444, less the umask) holding {@code data}. It is
     * always a new file ({@code O_EXCL}): whatever was at that name is deleted first, never written
     * through, since a leftover may be a symbolic link, or hard-linked to other items by
     * deduplication.
     */
    public static void writeNew(Path path, byte[] data) throws IOException {
        try {
            write(path, data);
        } catch (FileAlreadyExistsException e) {
            deleteRecursively(path);
            write(path, data);
        }
    }

    private static void write(Path path, byte[] data) throws IOException {
        try (SeekableByteChannel out = Files.newByteChannel(path, CREATE_NEW, READ_ONLY)) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            while (buf.hasRemaining()) out.write(buf);
        }
    }

    /** Deletes {@code path} recursively, making directories writable first; absent is fine. */
    public static void deleteRecursively(Path path) throws IOException {
        // The usual case on an add's path is "nothing there": answered without an exception.
        BasicFileAttributes attrs = path.getFileSystem().provider()
                .readAttributesIfExists(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attrs == null) return;
        if (attrs.isDirectory()) {
            Files.setAttribute(path, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(path)) {
                for (Path child : ds) deleteRecursively(child);
            }
        }
        Files.deleteIfExists(path);
    }
}
