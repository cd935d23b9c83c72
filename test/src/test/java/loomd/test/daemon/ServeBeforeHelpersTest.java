package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.locker.LockerClient;
import loomd.posix.HelperBinary;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/**
 * Issue 14: the daemon serves its first clients before its locker is up. The locker here is the
 * real native one behind a gate (LOOMD_LOCKER names a script that waits for a file, then execs
 * it): a handshake and an IsValidPath are answered while the gate is shut, an add (it needs locks:
 * a temp root, the item's lock) waits for the locker and completes once the gate opens. A locker
 * that cannot start at all fails the requests needing it with a clear error, logged by the daemon.
 */
class ServeBeforeHelpersTest {
    private static final String MISSING = "/gnu/store/00000000000000000000000000000000-not-there";

    @TempDir
    Path dir;

    @Test
    void answersBeforeTheLockerIsUpAndLocksOnceItIs() throws Exception {
        Path gate = dir.resolve("gate");
        Path locker = gatedLocker(gate);
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("d")).env("LOOMD_LOCKER", locker.toString())
                .awaitHelpers(false).start();
                StoreClient client = daemon.client()) {
            assertFalse(client.isValidPath(MISSING));
            assertFalse(daemon.log().contains("locker started"), "the gate is shut: " + daemon.log());

            CompletableFuture<String> add = CompletableFuture.supplyAsync(() -> add(daemon, "gated"));
            assertThrows(TimeoutException.class, () -> add.get(1, TimeUnit.SECONDS), "the add waits for the locker");
            try (StoreClient other = daemon.client()) {
                assertFalse(other.isValidPath(MISSING), "queries still answered while an add waits");
            }

            Files.createFile(gate);
            String path = add.get(60, TimeUnit.SECONDS);
            assertTrue(Files.exists(daemon.physicalStoreDir().resolve(Path.of(path).getFileName())));
            assertTrue(client.isValidPath(path));
            assertTrue(daemon.log().contains("locker started (pid "), daemon.log());
        }
    }

    @Test
    void aLockerThatCannotStartFailsOnlyWhatNeedsIt() throws Exception {
        Path missing = dir.resolve("no-such-locker");
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("d")).env("LOOMD_LOCKER", missing.toString())
                .start();
                StoreClient client = daemon.client()) {
            assertFalse(client.isValidPath(MISSING));
            DaemonException e = assertThrows(DaemonException.class,
                    () -> client.addTextToStore("no-locker", "text", List.of()));
            assertTrue(e.getMessage().contains("cannot start the locker"), e.getMessage());
            assertTrue(daemon.log().contains("error: cannot start the locker: "), daemon.log());
            try (StoreClient other = daemon.client()) {
                assertFalse(other.isValidPath(MISSING), "the daemon still serves queries");
            }
        }
    }

    private static String add(DaemonProcess daemon, String name) {
        try (StoreClient c = daemon.client()) {
            return c.addTextToStore(name, "added once the locker is up", List.of());
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** The jar's native locker, started only once {@code gate} exists. */
    private Path gatedLocker(Path gate) throws IOException {
        Path real = HelperBinary.extract(LockerClient.class, "/loomd/locker/native/loomd-locker", "loomd-locker",
                dir.resolve("bin"));
        Path script = dir.resolve("gated-locker");
        Files.writeString(script, "#!/bin/sh\nwhile [ ! -e '" + gate + "' ]; do sleep 0.05; done\nexec '" + real
                + "' \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }
}
