package loomd.protocol.nar;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Creates a symlink with an exact target. The JDK normalises a target string through
 * {@link Path} (it drops redundant and trailing slashes), so {@link #JDK} refuses targets that
 * would change; a caller with a native {@code symlink(2)} can plug in its own.
 */
@FunctionalInterface
public interface SymlinkCreator {
    void create(Path link, byte[] target) throws IOException;

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
