package loomd.daemon.store.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import loomd.daemon.store.StoreException;

/**
 * Canonical metadata of a new store item (daemon.md §1.8) and its durability, in one walk:
 * every entry gets mode 0444/0555 (by the owner-execute bit), mtime 1 (atime kept), the
 * daemon's uid/gid; then regular files are fsynced, and every directory after its children.
 * Runs before the item is renamed to its final name, so the final name only ever names a
 * complete, canonical, durable tree.
 */
public final class Canonicaliser {
    private static final FileTime MTIME_STORE = FileTime.fromMillis(1000);
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    /** Shared by all adds: fsync blocks in the kernel, so it runs on platform threads. */
    private static final ExecutorService SYNCERS = Executors.newFixedThreadPool(16,
            Thread.ofPlatform().name("loomd-fsync-", 0).daemon(true).factory());

    private final PosixIds owner;
    private final boolean sync;
    private final Consumer<Path> synced;

    public Canonicaliser(PosixIds owner, boolean sync) {
        this(owner, sync, p -> { });
    }

    /** {@code synced} is told of every fsync done, on the thread that did it (tests check which kind). */
    public Canonicaliser(PosixIds owner, boolean sync, Consumer<Path> synced) {
        this.owner = owner;
        this.sync = sync;
        this.synced = synced;
    }

    /**
     * Canonicalises (and, if enabled, syncs) the tree at {@code top}; {@code shown} names it in
     * errors. The fsyncs run in parallel on platform threads (never on a virtual thread's carrier):
     * the file system commits concurrent fsyncs together, which matters for trees of many small files.
     */
    public void canonicaliseAndSync(Path top, String shown) {
        List<Path> toSync = new ArrayList<>();
        try {
            walk(top, top, shown, toSync);
        } catch (IOException e) {
            throw new StoreException("canonicalising `" + shown + "': " + e);
        }
        if (sync) syncAll(toSync, shown);
    }

    /**
     * Makes the entries of directory {@code dir} durable (after renames into it), if syncing is
     * enabled; on the pool like every other fsync of an add.
     */
    public void syncDirectory(Path dir) {
        if (sync) syncAll(List.of(dir), dir.toString());
    }

    /**
     * The fsyncs of one add, in parallel on the pool; a platform-thread caller (a build, say) does a
     * handful itself, which costs no carrier.
     */
    private void syncAll(List<Path> paths, String shown) {
        if (paths.size() < 8 && !Thread.currentThread().isVirtual()) {
            for (Path p : paths) fsyncOrThrow(p, shown);
            return;
        }
        List<CompletableFuture<Void>> pending = new ArrayList<>(paths.size());
        for (Path p : paths) pending.add(CompletableFuture.runAsync(() -> fsyncOrThrow(p, shown), SYNCERS));
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof StoreException se) throw se;
            throw new StoreException("syncing `" + shown + "': " + e.getCause());
        }
    }

    private void fsyncOrThrow(Path p, String shown) {
        try {
            fsync(p);
            synced.accept(p);
        } catch (IOException e) {
            throw new StoreException("syncing `" + shown + "': " + e);
        }
    }

    private void walk(Path path, Path top, String shown, List<Path> toSync) throws IOException {
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
        if ((Integer) st.get("uid") != owner.euid()) {
            Files.setAttribute(path, "unix:uid", owner.euid(), NOFOLLOW);
            Files.setAttribute(path, "unix:gid", owner.egid(), NOFOLLOW);
        }
        if (isDir) {
            for (Path child : children(path)) walk(child, top, shown, toSync);
        }
        if (isDir || isReg) toSync.add(path);
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

    /** fsync of a file or a directory (Linux allows opening a directory read-only for this). */
    private static void fsync(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
