package loomd.daemon.store.gc;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;

import loomd.daemon.store.StoreException;

/**
 * Removing store entries from disk (daemon.md §7.5, "deleting in place"): recursive removal with
 * directories made owner-writable first, counting the sizes of removed non-directories whose link
 * count is at most the threshold (files still linked elsewhere, e.g. from {@code .links}, free
 * nothing). Tolerates entries that vanish meanwhile (another collector removing the same trash).
 */
final class FileRemoval {
    private FileRemoval() {}

    /** The outcome of moving a directory into the trash. */
    enum Move { MOVED, NOT_MOVED }

    /** Removes {@code path} (file, symlink or tree); returns the bytes freed. */
    static long deleteInPlace(Path path, int linkThreshold) {
        long[] freed = new long[1];
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    makeWritable(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    long size = countable(file, linkThreshold);
                    if (Files.deleteIfExists(file)) freed[0] += size;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) throw e;
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException e) {
            throw new StoreException("cannot unlink `" + path + "': " + e.getMessage(), e);
        }
        return freed[0];
    }

    /** One {@code lstat}: mode, size and link count, or null when {@code path} does not exist. */
    static Map<String, Object> lstat(Path path) {
        try {
            return Files.readAttributes(path, "unix:mode,size,nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new StoreException("getting status of `" + path + "': " + e.getMessage(), e);
        }
    }

    static boolean isDirectory(Map<String, Object> st) {
        return ((Integer) st.get("mode") & 0170000) == 0040000;
    }

    /** Unlinks a non-directory whose {@link #lstat} is {@code st}; returns the bytes freed. */
    static long unlink(Path path, Map<String, Object> st, int linkThreshold) {
        try {
            long size = (Integer) st.get("nlink") <= linkThreshold ? (Long) st.get("size") : 0;
            return Files.deleteIfExists(path) ? size : 0;
        } catch (IOException e) {
            throw new StoreException("cannot unlink `" + path + "': " + e.getMessage(), e);
        }
    }

    /** The size of a non-directory if its link count is at most the threshold, else 0. */
    private static long countable(Path file, int linkThreshold) throws IOException {
        try {
            Map<String, Object> st = Files.readAttributes(file, "unix:size,nlink", LinkOption.NOFOLLOW_LINKS);
            int nlink = (Integer) st.get("nlink");
            return nlink <= linkThreshold ? (Long) st.get("size") : 0;
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    private static void makeWritable(Path dir) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
            if (perms.add(PosixFilePermission.OWNER_WRITE)) Files.setPosixFilePermissions(dir, perms);
        } catch (NoSuchFileException e) {
            // gone already
        }
    }

    /**
     * Renames a directory to {@code trash/<name>}, owner-writable first. Returns NOT_MOVED (the
     * caller deletes in place) when the rename is impossible: {@code onNote} gets upstream's note
     * for ENOSPC/EXDEV; a name already in the trash is silently deleted in place.
     */
    static Move moveToTrash(Path dir, Path trash, java.util.function.Consumer<String> onNote) {
        try {
            makeWritable(dir);
            Files.move(dir, trash.resolve(dir.getFileName()));
            return Move.MOVED;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | NoSuchFileException e) {
            return Move.NOT_MOVED;
        } catch (FileSystemException e) {
            String reason = String.valueOf(e.getReason());
            if (reason.contains("No space left") || reason.contains("cross-device")) {
                onNote.accept("note: can't create move `" + dir + "': " + reason);
            }
            return Move.NOT_MOVED;
        } catch (IOException e) {
            return Move.NOT_MOVED;
        }
    }
}
