package loomd.daemon.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import loomd.daemon.store.auth.FakeAuthenticate;
import loomd.locker.LockerClient;
import loomd.protocol.export.ExportWriter;
import loomd.protocol.store.StoreDir;

/**
 * A store under a temp dir that looks like {@code /gnu/store} (physical root prefix). Public for
 * the session tests, which run their sessions over a real store.
 */
public final class TestStores {
    private TestStores() {}

    public static StoreConfig config(Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path etc = Files.createDirectories(dir.resolve("etc"));
        return StoreConfig.of(StoreDir.DEFAULT, Optional.of(root), dir.resolve("var"), etc);
    }

    private static LockerClient locker;

    /** One locker process for the whole test JVM (it exits when the JVM does). */
    public static synchronized LockerClient locker() throws IOException {
        if (locker == null) locker = LockerClient.launch(Files.createTempDirectory("loomd-locker-test"));
        return locker;
    }

    /** The store as the daemon opens it: locks held by the locker process. */
    public static LocalStore open(StoreConfig config) throws IOException {
        return LocalStore.open(config, locker());
    }

    static LocalStore open(StoreConfig config, StoreObserver observer) throws IOException {
        return LocalStore.open(config, locker(), observer);
    }

    /**
     * {@code config} with the fake {@code guix authenticate} (written into {@code scriptDir}) and a
     * signing key in its configuration directory: exports can sign, imports verify.
     */
    public static StoreConfig signing(StoreConfig config, Path scriptDir) throws IOException {
        StoreConfig signing = config.withAuthenticateCommand(FakeAuthenticate.write(scriptDir));
        Path key = Files.createDirectories(signing.configDir()).resolve("signing-key.sec");
        Files.writeString(key, "secret");
        Files.setAttribute(key, "unix:mode", 0600);
        return signing;
    }

    /** What {@code guix archive --export} of {@code paths} sends: each item behind a marker, then the end marker. */
    public static byte[] bundle(LocalStore store, boolean sign, String... paths) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String p : paths) {
            ExportWriter.writeMarker(out, true);
            store.archives().exportPath(p, sign, out);
        }
        ExportWriter.writeMarker(out, false);
        return out.toByteArray();
    }

    /** The NAR of a tree, as a client would send it. */
    static byte[] nar(Path tree) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new loomd.protocol.nar.NarWriter().write(tree, out);
        return out.toByteArray();
    }
}
