package loomd.daemon.store.roots;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

import loomd.daemon.store.StoreException;
import loomd.protocol.store.StoreDir;

/**
 * Permanent GC roots as upstream's {@code findRoots} reports them (daemon.md §7.2): a recursive
 * scan of {@code V/gcroots}, {@code V/manifests} (if present) and {@code V/profiles}. Result:
 * root link file name to store path, sorted by link name.
 */
public final class RootFinder {
    private final StoreDir storeDir;
    private final Path stateDir;
    private final Predicate<String> isValid;
    private final Consumer<String> info;

    /**
     * @param isValid validity of a logical store path
     * @param info receives upstream's info-level messages (skipped/stale/unreadable roots)
     */
    public RootFinder(StoreDir storeDir, Path stateDir, Predicate<String> isValid, Consumer<String> info) {
        this.storeDir = storeDir;
        this.stateDir = stateDir;
        this.isValid = isValid;
        this.info = info;
    }

    public SortedMap<String, String> findRoots() {
        SortedMap<String, String> roots = new TreeMap<>();
        scan(stateDir.resolve("gcroots"), roots);
        Path manifests = stateDir.resolve("manifests");
        if (Files.exists(manifests, LinkOption.NOFOLLOW_LINKS)) scan(manifests, roots);
        scan(stateDir.resolve("profiles"), roots);
        return roots;
    }

    private void scan(Path path, SortedMap<String, String> roots) {
        try {
            BasicFileAttributes st = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (st.isDirectory()) {
                for (Path child : list(path)) scan(child, roots);
            } else if (st.isSymbolicLink()) {
                symlink(path, roots);
            } else if (st.isRegularFile()) {
                String storePath = storeDir.path() + "/" + path.getFileName();
                if (isValid.test(storePath)) roots.put(path.toString(), storePath);
            }
        } catch (AccessDeniedException | NoSuchFileException | NotDirectoryException e) {
            info.accept("cannot read potential root `" + path + "'");
        } catch (FileSystemException e) {
            if (e.getReason() != null && e.getReason().contains("Not a directory")) {
                info.accept("cannot read potential root `" + path + "'");
            } else {
                throw new StoreException("reading potential root `" + path + "': " + e.getMessage());
            }
        } catch (IOException e) {
            throw new StoreException("reading potential root `" + path + "': " + e.getMessage());
        }
    }

    private void symlink(Path path, SortedMap<String, String> roots) throws IOException {
        String target = Files.readSymbolicLink(path).toString();
        if (storeDir.isInStore(target)) {
            foundRoot(path.toString(), target, roots);
            return;
        }
        // An indirect root: follow exactly one level, to a link that points into the store.
        Path resolved = path.getParent().resolve(target).normalize();
        if (!Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) {
            if (path.normalize().startsWith(stateDir.resolve("gcroots").resolve("auto").normalize())) {
                info.accept("removing stale link from `" + path + "' to `" + resolved + "'");
                Files.deleteIfExists(path);
            }
            return;
        }
        if (!Files.isSymbolicLink(resolved)) return;
        String target2 = Files.readSymbolicLink(resolved).toString();
        if (storeDir.isInStore(target2)) foundRoot(resolved.toString(), target2, roots);
    }

    /** {@code target} is in the store (the callers checked), so toStorePath cannot refuse it. */
    private void foundRoot(String link, String target, SortedMap<String, String> roots) throws IOException {
        String storePath = storeDir.toStorePath(target);
        if (isValid.test(storePath)) {
            roots.put(link, storePath);
        } else {
            info.accept("skipping invalid root from `" + link + "' to `" + storePath + "'");
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        }
        return out;
    }
}
