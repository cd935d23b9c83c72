package loomd.protocol.nar;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Creates a symlink with an exact target. The JDK normalises a target string through
 * {@link Path} (it drops redundant and trailing slashes), so {@link #JDK} refuses targets it would
 * change; the daemon passes a creator built on {@code symlink(2)} (from {@code loomd.posix}), which
 * takes any target a NAR may hold. This module calls no native code itself.
 */
@FunctionalInterface
public interface SymlinkCreator {
    /**
     * Creates {@code link} pointing at {@code target} (decoded from the NAR's UTF-8, no NUL).
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code link} exists
     */
    void create(Path link, String target) throws IOException;

    SymlinkCreator JDK = (link, target) -> {
        Path targetPath = link.getFileSystem().getPath(target);
        if (!targetPath.toString().equals(target)) {
            throw new IOException("symlink target `" + target + "' of `" + link
                    + "' cannot be created exactly by the JDK (redundant or trailing slashes)");
        }
        Files.createSymbolicLink(link, targetPath);
    };
}
