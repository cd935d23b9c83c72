package loomd.daemon.store.fs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/** Deleting trees that may be read-only (canonical store items are 0555 directories). */
public final class FileTrees {
    private FileTrees() {}

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
