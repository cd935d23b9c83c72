package loomd.daemon.store.roots;

import java.nio.file.Path;

/**
 * The store's locks for a store opened without a daemon-provided locker ({@code LocalStore.open(config)},
 * tools and tests): a {@link LockerFileLocker} over a locker process of its own, so this path too holds no
 * descriptor per lock in the JVM and waits on no lock in it. The name is historical (it used to take OFD locks
 * in this JVM, one descriptor per lock); callers should move to {@link LockerFileLocker#launch(Path)}, after
 * which this class goes.
 */
public final class OfdFileLocker implements FileLocker, AutoCloseable {
    private final LockerFileLocker locker =
            LockerFileLocker.launch(Path.of(System.getProperty("java.io.tmpdir")));

    @Override
    public Owner newOwner(String label) {
        return locker.newOwner(label);
    }

    @Override
    public PathLock lockPath(Path physicalPath) {
        return locker.lockPath(physicalPath);
    }

    @Override
    public void close() {
        locker.close();
    }
}
