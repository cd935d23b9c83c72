package loomd.daemon.store.gc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import loomd.daemon.store.StoreException;
import loomd.daemon.store.roots.FileLocker;
import loomd.protocol.store.StoreDir;

/**
 * Temp roots read from {@code V/temproots}, as upstream's collector reads them (daemon.md §7.3),
 * with one difference for this process's own files ({@code loomd-<pid>-…}): they are read without
 * keeping a lock, and re-read from where the last read stopped on {@link Snapshot#refresh}, so
 * loomd's sessions are never held up by loomd's collector. Other processes' files: an exclusive
 * TRY lock that succeeds means a dead owner (the file is removed and marked "d"); otherwise a
 * shared lock is taken and kept until the snapshot closes, so their owners wait to add roots.
 */
public final class FileTempRoots implements TempRootSource {
    private final StoreDir storeDir;
    private final Path stateDir;
    private final FileLocker locker;
    private final String ownPrefix = "loomd-" + ProcessHandle.current().pid() + "-";

    public FileTempRoots(StoreDir storeDir, Path stateDir, FileLocker locker) {
        this.storeDir = storeDir;
        this.stateDir = stateDir;
        this.locker = locker;
    }

    @Override
    public Snapshot open(Consumer<String> info) {
        FileSnapshot s = new FileSnapshot();
        try {
            for (Path file : list()) {
                if (file.getFileName().toString().startsWith(ownPrefix)) {
                    s.readOwn(file);
                } else {
                    s.readForeign(file, info);
                }
            }
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            if (e instanceof RuntimeException re) throw re;
            throw new StoreException("reading temporary roots: " + e.getMessage(), e);
        }
    }

    private List<Path> list() throws IOException {
        List<Path> out = new ArrayList<>();
        Path dir = stateDir.resolve("temproots");
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        }
        return out;
    }

    private final class FileSnapshot implements Snapshot {
        private final Set<String> roots = new HashSet<>();
        private final Map<Path, Long> ownOffsets = new HashMap<>();
        private final List<FileLocker.Owner> held = new ArrayList<>();

        @Override
        public Set<String> roots() {
            return roots;
        }

        @Override
        public void refresh() {
            try {
                for (Path file : list()) {
                    if (file.getFileName().toString().startsWith(ownPrefix)) readOwn(file);
                }
            } catch (IOException e) {
                throw new StoreException("reading temporary roots: " + e.getMessage(), e);
            }
        }

        void readOwn(Path file) throws IOException {
            long from = ownOffsets.getOrDefault(file, 0L);
            byte[] bytes;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size <= from) return;
                ByteBuffer buf = ByteBuffer.allocate((int) (size - from));
                while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                    // the rest, up to the size seen
                }
                bytes = Arrays.copyOf(buf.array(), buf.position());
            } catch (NoSuchFileException e) {
                return;
            }
            ownOffsets.put(file, from + parse(bytes, file));
        }

        void readForeign(Path file, Consumer<String> info) throws IOException {
            FileChannel ch;
            try {
                ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (NoSuchFileException e) {
                return;
            }
            try (ch) {
                FileLocker.Owner owner = locker.newOwner("gc-" + file.getFileName());
                if (owner.tryLock(file, true)) {
                    info.accept("removing stale temporary roots file `" + file + "'");
                    Files.deleteIfExists(file);
                    ch.write(ByteBuffer.wrap(new byte[] {'d'}));
                    owner.close();
                    return;
                }
                held.add(owner);
                owner.lock(file, false);
                ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
                while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
                    // read it all
                }
                parse(Arrays.copyOf(buf.array(), buf.position()), file);
            }
        }

        /** Adds every complete (NUL-terminated) entry; returns the bytes consumed. */
        private int parse(byte[] bytes, Path file) {
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] != 0) continue;
                String root = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                if (!storeDir.isStorePath(root)) {
                    throw new StoreException("path `" + root + "' is not in the store");
                }
                roots.add(root);
                start = i + 1;
            }
            return start;
        }

        @Override
        public void close() {
            for (FileLocker.Owner owner : held) owner.close();
            held.clear();
        }
    }
}
