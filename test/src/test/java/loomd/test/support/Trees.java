package loomd.test.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;

/** File trees that tests and benches leave behind. */
public final class Trees {
    private Trees() {}

    /**
     * Deletes {@code tree}, store items included: their directories are read-only (0555), which
     * stops even their owner from unlinking entries unless it is root.
     */
    public static void delete(Path tree) throws IOException {
        if (!Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(tree)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) Files.setAttribute(p, "unix:mode", 0700);
                Files.delete(p);
            }
        }
    }
}
