package loomd.protocol.nar;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import loomd.posix.Errno;
import loomd.posix.Fds;
import loomd.posix.PosixException;

/**
 * Creates a symlink with an exact target. The JDK normalises a target string through
 * {@link Path} (it drops redundant and trailing slashes), so the restorer uses {@link #NATIVE}
 * ({@code symlink(2)}, the target byte for byte); {@link #JDK} remains for callers that must not
 * touch native code, and refuses targets it would change.
 */
@FunctionalInterface
public interface SymlinkCreator {
    void create(Path link, byte[] target) throws IOException;

    /** {@code symlink(2)} through {@link Fds#symlink}: any target the NAR may hold (no NUL, UTF-8). */
    SymlinkCreator NATIVE = (link, target) -> {
        String text = NarNames.decode(target, "symlink target");
        try {
            Fds.symlink(text, link.toString());
        } catch (PosixException e) {
            if (e.errno() == Errno.EEXIST) {
                throw new FileAlreadyExistsException(link.toString());
            }
            throw e;
        }
    };

    SymlinkCreator JDK = (link, target) -> {
        String text = NarNames.decode(target, "symlink target");
        Path targetPath = link.getFileSystem().getPath(text);
        if (!targetPath.toString().equals(text)) {
            throw new IOException("symlink target `" + text + "' of `" + link
                    + "' cannot be created exactly by the JDK (redundant or trailing slashes)");
        }
        Files.createSymbolicLink(link, targetPath);
    };
}
