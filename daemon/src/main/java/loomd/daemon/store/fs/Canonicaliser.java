package loomd.daemon.store.fs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import loomd.daemon.store.StoreException;
import loomd.posix.Errno;
import loomd.posix.NewFiles;
import loomd.posix.PosixException;

/**
 * Canonical metadata of a new store item (daemon.md §1.8), in one walk: every entry gets mode
 * 0444/0555 (by the owner-execute bit), mtime 1 (atime kept), the daemon's uid/gid. Runs before
 * the item is renamed to its final name, so the final name only ever names a complete, canonical
 * tree. Nothing is fsynced here: the store's flusher makes whole groups of items durable at once
 * (the store package documentation, "Durability").
 */
public final class Canonicaliser {
    private static final FileTime MTIME_STORE = FileTime.fromMillis(1000);
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final Supplier<PosixIds> owner;

    public Canonicaliser(PosixIds owner) {
        this.owner = () -> owner;
    }

    private Canonicaliser(Supplier<PosixIds> owner) {
        this.owner = owner;
    }

    /** Owned by the daemon's own ids, asked at the first item rather than while the store opens (issue 14). */
    public static Canonicaliser ownedBySelf() {
        return new Canonicaliser(PosixIds::self);
    }

    /**
     * Creates the regular file {@code path} holding {@code data}, canonical as it is made: mode 0444
     * and mtime 1 are set through the descriptor that creates it ({@link NewFiles}), and this process,
     * which creates it, owns it. It is always a new file ({@code O_EXCL}): whatever was at that name
     * is deleted first, never written through, since a leftover may be a symbolic link, or hard-linked
     * to other items by deduplication. On failure the caller removes what is there.
     */
    public void writeNewFile(Path path, byte[] data) throws IOException {
        long mtime = MTIME_STORE.toMillis() / 1000;
        try {
            NewFiles.create(path.toString(), data, 0444, mtime);
        } catch (PosixException e) {
            if (e.errno() != Errno.EEXIST) throw e;
            FileTrees.deleteRecursively(path);
            NewFiles.create(path.toString(), data, 0444, mtime);
        }
    }

    /** Canonicalises the tree at {@code top}; {@code shown} names it in errors. */
    public void canonicalise(Path top, String shown) {
        try {
            walk(top, top, shown);
        } catch (IOException e) {
            throw new StoreException("canonicalising `" + shown + "': " + e);
        }
    }

    private void walk(Path path, Path top, String shown) throws IOException {
        Map<String, Object> st = Files.readAttributes(path, "unix:mode,uid,gid,lastModifiedTime", NOFOLLOW);
        int mode = (Integer) st.get("mode");
        int type = mode & 0170000;
        boolean isDir = type == 0040000;
        boolean isReg = type == 0100000;
        boolean isLink = type == 0120000;
        if (!isDir && !isReg && !isLink) {
            throw new StoreException("file \u2018" + shownName(path, top, shown) + "\u2019 has an unsupported type");
        }
        if (!isLink) {
            int perm = mode & 07777;
            if (perm != 0444 && perm != 0555) {
                Files.setAttribute(path, "unix:mode", 0444 | ((perm & 0100) != 0 ? 0111 : 0), NOFOLLOW);
            }
        }
        if (((FileTime) st.get("lastModifiedTime")).toMillis() != MTIME_STORE.toMillis()) {
            Files.getFileAttributeView(path, BasicFileAttributeView.class, NOFOLLOW)
                    .setTimes(MTIME_STORE, null, null);
        }
        PosixIds ids = owner.get();
        if ((Integer) st.get("uid") != ids.euid()) {
            Files.setAttribute(path, "unix:uid", ids.euid(), NOFOLLOW);
            Files.setAttribute(path, "unix:gid", ids.egid(), NOFOLLOW);
        }
        if (isDir) {
            for (Path child : children(path)) walk(child, top, shown);
        }
    }

    private static List<Path> children(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        }
        return out;
    }

    private static String shownName(Path path, Path top, String shown) {
        String rel = top.relativize(path).toString();
        return rel.isEmpty() ? shown : shown + "/" + rel;
    }
}
