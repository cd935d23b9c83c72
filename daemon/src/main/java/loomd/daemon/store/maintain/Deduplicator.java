package loomd.daemon.store.maintain;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

import loomd.daemon.store.StoreException;
import loomd.posix.Errno;
import loomd.posix.Fds;
import loomd.posix.PosixException;
import loomd.protocol.hash.Hash;
import loomd.protocol.nar.FileHashes;
import loomd.protocol.nar.NarWriter;

/**
 * Upstream's {@code optimisePath_} (daemon.md §8.1): every regular file of at least
 * {@link #MIN_SIZE} bytes under a tree is replaced by a hard link to {@code S/.links/<key>}, the key
 * being the Nix-base32 SHA-256 of the file's NAR (so the executable bit is part of it). Stateless
 * apart from the caller's {@link Stats} and inode set; safe from many threads at once, since every
 * step is one atomic system call on names that any concurrent user re-checks.
 *
 * <p>A new item's keys usually come with it ({@link FileHashes}, computed while it was restored or
 * scanned): then a file is only stat'ed here, never read again (§9.6). A key is used only if the
 * file still has the size and executable bit it was computed for; any other file is hashed here.
 *
 * <p>The race of §9.10 (a collector removing a {@code .links} entry it saw with one link just
 * before this links to it) ends here in {@code ENOENT} on the temporary link: the entry is made
 * again from this file instead of failing the add.
 */
public final class Deduplicator {
    /** {@code deduplicationMinSize}, shared with Guix's {@code (guix store deduplication)}. */
    public static final long MIN_SIZE = 8192;
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final FileTime MTIME_STORE = FileTime.fromMillis(1000);
    /** No key known: every file is read. */
    private static final FileHashes NONE = new FileHashes(Long.MAX_VALUE);

    /** A message for the client or the log: upstream's verbosity level and text. */
    public interface Messages {
        void message(int level, String text);
    }

    /** Files replaced by links and their bytes: upstream's {@code OptimiseStats}. Thread-safe. */
    public static final class Stats {
        private long filesLinked;
        private long bytesFreed;

        synchronized void linked(long size) {
            filesLinked++;
            bytesFreed += size;
        }

        public synchronized long filesLinked() {
            return filesLinked;
        }

        public synchronized long bytesFreed() {
            return bytesFreed;
        }
    }

    private final Path store;
    private final Path links;
    private final LongAdder filesHashed = new LongAdder();

    /** @param store the physical store directory; its {@code .links} holds the entries */
    public Deduplicator(Path store) {
        this.store = store;
        this.links = store.resolve(".links");
    }

    public Path linksDir() {
        return links;
    }

    /** The inodes of every {@code .links} entry (upstream's {@code loadInodeHash}). */
    public Set<Long> loadInodes() {
        Set<Long> inodes = new java.util.HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(links)) {
            for (Path p : ds) {
                try {
                    inodes.add(inode(Files.readAttributes(p, "unix:ino", NOFOLLOW)));
                } catch (NoSuchFileException e) {
                    // removed by a collector meanwhile
                }
            }
        } catch (IOException e) {
            throw new StoreException("opening directory `" + links + "': " + e.getMessage());
        }
        return inodes;
    }

    /**
     * How many files this deduplicator has read to compute their key, since it was made: the
     * second pass §9.6 saves, for tests and benchmarks.
     */
    public long filesHashed() {
        return filesHashed.sum();
    }

    /** Deduplicates the tree at {@code top} (physical); {@code inodes} are skipped and grow. */
    public void optimise(Path top, Stats stats, Set<Long> inodes, Messages out) {
        optimise(top, NONE, stats, inodes, out);
    }

    /** As {@link #optimise(Path, Stats, Set, Messages)}, taking the keys in {@code known} as they are. */
    public void optimise(Path top, FileHashes known, Stats stats, Set<Long> inodes, Messages out) {
        try {
            new Walk(top, known, stats, inodes, out).walk(top);
        } catch (PosixException e) {
            throw new StoreException(e.getMessage());
        } catch (IOException e) {
            throw new StoreException("getting attributes of path `" + top + "': " + e.getMessage());
        }
    }

    /** One tree's walk: what it was given, so each step takes only the file. */
    private final class Walk {
        private final Path top;
        private final FileHashes known;
        private final Stats stats;
        private final Set<Long> inodes;
        private final Messages out;

        Walk(Path top, FileHashes known, Stats stats, Set<Long> inodes, Messages out) {
            this.top = top;
            this.known = known;
            this.stats = stats;
            this.inodes = inodes;
            this.out = out;
        }

        void walk(Path path) throws IOException {
            Map<String, Object> st = Files.readAttributes(path, "unix:mode,ino,nlink,size", NOFOLLOW);
            int mode = (Integer) st.get("mode");
            if ((mode & 0170000) == 0040000) {
                for (Path child : children(path, inodes)) walk(child);
                return;
            }
            if ((mode & 0170000) != 0100000) return;
            long size = (Long) st.get("size");
            if (size < MIN_SIZE) return;
            if ((mode & 0200) != 0) {
                out.message(0, "skipping suspicious writable file `" + path + "'");
                return;
            }
            long ino = inode(st);
            if ((Integer) st.get("nlink") > 1 && inodes.contains(ino)) return;
            String key = key(path, size, (mode & 0100) != 0).toNixBase32();
            linkOrReplace(path, links.resolve(key), size, ino, stats, inodes, out);
        }

        /** Step 5: the key from the first pass when it fits the file, else from reading it now. */
        private Hash key(Path path, long size, boolean executable) throws IOException {
            var given = known.get(top.relativize(path).toString());
            if (given.isPresent() && given.get().size() == size && given.get().executable() == executable) {
                return given.get().hash();
            }
            filesHashed.increment();
            return NarWriter.hash(path).narHash();
        }
    }

    /** Steps 6 to 8 of §8.1: make the entry, or replace the file by a link to it. */
    private void linkOrReplace(Path path, Path link, long size, long ino, Stats stats, Set<Long> inodes,
                               Messages out) throws IOException {
        for (int attempt = 0; ; attempt++) {
            if (attempt > 16) throw new StoreException("cannot link `" + link + "' to `" + path + "': it keeps vanishing");
            if (!Files.exists(link, NOFOLLOW)) {
                try {
                    Fds.link(path.toString(), link.toString());
                    inodes.add(ino);
                    return;
                } catch (PosixException e) {
                    if (e.errno() == Errno.ENOSPC) {
                        out.message(1, "cannot link `" + link + "' to `" + path + "': " + e.errorText());
                        return;
                    }
                    if (e.errno() != Errno.EEXIST) {
                        throw new StoreException("cannot link `" + link + "' to `" + path + "': " + e.errorText());
                    }
                }
            }
            Map<String, Object> lst;
            try {
                lst = Files.readAttributes(link, "unix:ino,size", NOFOLLOW);
            } catch (NoSuchFileException e) {
                continue; // cleaned by a collector meanwhile: make it again
            }
            if (inode(lst) == ino) return;
            if ((Long) lst.get("size") != size) {
                out.message(0, "removing corrupted link \u2018" + link + "\u2019");
                Files.deleteIfExists(link);
                continue;
            }
            switch (replace(path, link, size, out)) {
                case DONE -> {
                    stats.linked(size);
                    return;
                }
                case SKIPPED -> {
                    return;
                }
                case VANISHED -> { }
            }
        }
    }

    private enum Outcome { DONE, SKIPPED, VANISHED }

    /** The replace-by-hard-link dance: link the entry to a temporary name, rename that over the file. */
    private Outcome replace(Path path, Path link, long size, Messages out) throws IOException {
        Path dir = path.getParent();
        boolean toggle = !dir.equals(store);
        if (toggle) Files.setAttribute(dir, "unix:mode", 0755, NOFOLLOW);
        try {
            Path temp = store.resolve(".tmp-link-" + ProcessHandle.current().pid() + "-"
                    + ThreadLocalRandom.current().nextInt(Integer.MAX_VALUE));
            try {
                Fds.link(link.toString(), temp.toString());
            } catch (PosixException e) {
                if (e.errno() == Errno.ENOENT) return Outcome.VANISHED;
                if (e.errno() == Errno.EMLINK) {
                    if (size > 0) out.message(1, "`" + link + "' has maximum number of links");
                    return Outcome.SKIPPED;
                }
                throw new StoreException("cannot link `" + temp + "' to `" + link + "': " + e.errorText());
            }
            try {
                Fds.rename(temp.toString(), path.toString());
            } catch (PosixException e) {
                try {
                    Fds.unlink(temp.toString());
                } catch (PosixException u) {
                    out.message(0, "unable to unlink `" + temp + "'");
                }
                if (e.errno() == Errno.EMLINK) return Outcome.SKIPPED;
                throw new StoreException("cannot rename `" + temp + "' to `" + path + "': " + e.errorText());
            }
            return Outcome.DONE;
        } finally {
            if (toggle) {
                Files.setAttribute(dir, "unix:mode", 0555, NOFOLLOW);
                Files.getFileAttributeView(dir, BasicFileAttributeView.class, NOFOLLOW).setTimes(MTIME_STORE, null, null);
            }
        }
    }

    private static List<Path> children(Path dir, Set<Long> inodes) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                // upstream's readDirectoryIgnoringInodes: entries already in .links are skipped
                if (inodes.isEmpty() || !inodes.contains(inode(Files.readAttributes(p, "unix:ino", NOFOLLOW)))) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static long inode(Map<String, Object> st) {
        return ((Number) st.get("ino")).longValue();
    }
}
