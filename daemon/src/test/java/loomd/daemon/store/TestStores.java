package loomd.daemon.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import loomd.locker.LockerClient;
import loomd.protocol.store.StoreDir;

/** A store under a temp dir that looks like {@code /gnu/store} (physical root prefix). */
final class TestStores {
    private TestStores() {}

    static StoreConfig config(Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path etc = Files.createDirectories(dir.resolve("etc"));
        return StoreConfig.of(StoreDir.DEFAULT, Optional.of(root), dir.resolve("var"), etc);
    }

    private static LockerClient locker;

    /** One locker process for the whole test JVM (it exits when the JVM does). */
    static synchronized LockerClient locker() throws IOException {
        if (locker == null) locker = LockerClient.launch(Files.createTempDirectory("loomd-locker-test"));
        return locker;
    }

    /** The store as the daemon opens it: locks held by the locker process. */
    static LocalStore open(StoreConfig config) throws IOException {
        return LocalStore.open(config, locker());
    }

    static LocalStore open(StoreConfig config, StoreObserver observer) throws IOException {
        return LocalStore.open(config, locker(), observer);
    }

    /** The NAR of a tree, as a client would send it. */
    static byte[] nar(Path tree) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new loomd.protocol.nar.NarWriter().write(tree, out);
        return out.toByteArray();
    }
}
