package loomd.daemon.store.roots;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The store's own temp roots, protecting temporary names in the store while an add or import
 * works on them. Entries are never removed from a temp-roots file, so the store rotates files:
 * after {@code perFile} entries it starts a new one, and a retired file is removed once no lease
 * taken through it is open. The file count and sizes stay bounded however long the daemon runs.
 *
 * <p>Threads: any; {@link #mutex} guards the generations and is held while appending a root
 * (one write and a {@code gc.lock} probe; it waits only while a collector runs, as every new temp
 * root does).
 */
public final class StagingRoots implements AutoCloseable {
    private final Path stateDir;
    private final FileLocker locker;
    private final GcProbe probe;
    private final boolean ownsProbe;
    private final int perFile;
    private final ReentrantLock mutex = new ReentrantLock();
    private final List<Generation> retired = new ArrayList<>();
    private Generation current;
    private boolean closed;

    /** A protected temporary name; closing it ends the protection (once its file retires). */
    public interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    private final class Generation {
        final TempRoots roots = new TempRoots(stateDir, locker, probe, "staging");
        int entries;
        int open;
    }

    /** With a {@code gc.lock} probe of its own (tools and tests). */
    public StagingRoots(Path stateDir, FileLocker locker, int perFile) {
        this(stateDir, locker, new GcProbe(stateDir), true, perFile);
    }

    /** With the store's shared {@code gc.lock} probe. */
    public StagingRoots(Path stateDir, FileLocker locker, GcProbe probe, int perFile) {
        this(stateDir, locker, probe, false, perFile);
    }

    private StagingRoots(Path stateDir, FileLocker locker, GcProbe probe, boolean ownsProbe, int perFile) {
        this.stateDir = stateDir;
        this.locker = locker;
        this.probe = probe;
        this.ownsProbe = ownsProbe;
        this.perFile = perFile;
    }

    /** Adds {@code path} as a temp root until the returned lease is closed. */
    public Lease protect(String path) {
        mutex.lock();
        try {
            if (closed) throw new IllegalStateException("the store is closed");
            if (current == null || current.entries >= perFile) {
                if (current != null) retire(current);
                current = new Generation();
            }
            Generation g = current;
            g.roots.addTempRoot(path);
            g.entries++;
            g.open++;
            return leaseFor(g);
        } finally {
            mutex.unlock();
        }
    }

    private Lease leaseFor(Generation g) {
        boolean[] done = new boolean[1];
        return () -> {
            mutex.lock();
            try {
                if (done[0]) return;
                done[0] = true;
                g.open--;
                if (g.open == 0 && retired.remove(g)) g.roots.close();
            } finally {
                mutex.unlock();
            }
        };
    }

    private void retire(Generation g) {
        if (g.open == 0) {
            g.roots.close();
        } else {
            retired.add(g);
        }
    }

    @Override
    public void close() {
        mutex.lock();
        try {
            closed = true;
            for (Generation g : retired) g.roots.close();
            retired.clear();
            if (current != null) current.roots.close();
            current = null;
            if (ownsProbe) probe.close();
        } finally {
            mutex.unlock();
        }
    }
}
