package loomd.daemon.store.fs;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Names of in-progress store entries: {@code .loomd-tmp-<pid>-<n>-<rand>} directly in the store
 * directory (same file system and same parent as the final name, so the final rename is atomic
 * and needs no write access to the moved directory). A crash leaves only such names behind;
 * {@link #cleanStale} removes those of dead processes at startup.
 */
public final class TempNames {
    private static final System.Logger LOG = System.getLogger(TempNames.class.getName());
    public static final String PREFIX = ".loomd-tmp-";

    private final long pid = ProcessHandle.current().pid();
    private final AtomicLong counter = new AtomicLong();

    /** A fresh base name (not created). */
    public String next() {
        return PREFIX + pid + "-" + counter.incrementAndGet() + "-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    }

    public static boolean isTempName(String baseName) {
        return baseName.startsWith(PREFIX);
    }

    /** Deletes temp entries whose creating process is gone (or is this very process). */
    public static int cleanStale(Path storeDir) throws IOException {
        int removed = 0;
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(storeDir, PREFIX + "*")) {
            for (Path p : ds) {
                long owner = ownerPid(p.getFileName().toString());
                if (owner == self || owner < 0 || ProcessHandle.of(owner).isEmpty()) {
                    LOG.log(Level.INFO, "removing stale temporary store entry `" + p + "'");
                    FileTrees.deleteRecursively(p);
                    removed++;
                }
            }
        }
        return removed;
    }

    static long ownerPid(String name) {
        String rest = name.substring(PREFIX.length());
        int dash = rest.indexOf('-');
        try {
            return Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
