package loomd.daemon.store.gc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import loomd.daemon.store.StoreException;
import loomd.daemon.store.maintain.Deduplicator;

/**
 * Cleaning {@code S/.links} after a collection (daemon.md §7.5): an entry no store file links to
 * any more (link count 1), or one smaller than the deduplication minimum, is removed and its size
 * counted as freed; the others make up the "currently hard linking saves" figure.
 */
final class Links {
    private static final long MIN_SIZE = Deduplicator.MIN_SIZE;

    /** Bytes freed and upstream's closing note. */
    record Cleaned(long freed, String note) {}

    private Links() {}

    static Cleaned clean(Path links) {
        long freed = 0;
        long actualSize = 0;
        long unsharedSize = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(links)) {
            for (Path link : ds) {
                Map<String, Object> st;
                try {
                    st = Files.readAttributes(link, "unix:size,nlink", LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue;
                }
                long size = (Long) st.get("size");
                int nlink = (Integer) st.get("nlink");
                if (nlink == 1 || size < MIN_SIZE) {
                    // Re-read right before unlinking: a link made meanwhile keeps the entry.
                    if (size >= MIN_SIZE && linkCount(link) != 1) continue;
                    if (Files.deleteIfExists(link)) freed += size;
                    continue;
                }
                actualSize += size;
                unsharedSize += (nlink - 1) * size;
            }
        } catch (NoSuchFileException e) {
            return new Cleaned(0, note(0));
        } catch (IOException e) {
            throw new StoreException("cleaning `" + links + "': " + e.getMessage(), e);
        }
        long overhead;
        try {
            overhead = Files.size(links);
        } catch (IOException e) {
            overhead = 0;
        }
        return new Cleaned(freed, note(unsharedSize - actualSize - overhead));
    }

    private static int linkCount(Path link) throws IOException {
        try {
            return (Integer) Files.getAttribute(link, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    static String note(long saved) {
        return String.format(Locale.ROOT, "note: currently hard linking saves %.2f MiB", saved / 1024.0 / 1024.0);
    }
}
