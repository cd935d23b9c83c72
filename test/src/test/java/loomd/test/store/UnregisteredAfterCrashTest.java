package loomd.test.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import loomd.protocol.client.StoreClient;
import loomd.test.locker.PythonLockf;
import loomd.test.support.DaemonProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An add moves its item into place, then registers it: a kill -9 in between leaves contents without
 * registration (the stress campaign caught one). The next start removes such entries before serving,
 * except one whose item lock another process holds (it is being written now); a clean start does not
 * look.
 */
class UnregisteredAfterCrashTest {
    @TempDir Path dir;

    @Test
    void theStartAfterAKillRemovesUnregisteredEntriesNotLockedOnes() throws Exception {
        Path root = dir.resolve("d");
        String valid;
        Path orphan;
        Path orphanTree;
        Path busy;
        try (DaemonProcess daemon = DaemonProcess.builder(root).start(); StoreClient c = daemon.client()) {
            valid = c.addTextToStore("kept", "registered", List.of());
            Path store = daemon.physicalStoreDir();
            orphan = Files.writeString(store.resolve("0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a-orphan.drv"), "moved in, never registered");
            orphanTree = Files.createDirectories(store.resolve("1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b-orphan-tree/bin"));
            Files.writeString(orphanTree.resolve("x"), "x");
            busy = Files.writeString(store.resolve("2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c-busy"), "another process writes this");
            CrashRecoveryTest.killNine(daemon);
        }
        Path busyLock = busy.resolveSibling(busy.getFileName() + ".lock");
        Files.createFile(busyLock);
        try (PythonLockf holder = PythonLockf.hold(busyLock);
             DaemonProcess daemon = DaemonProcess.builder(root).start(); StoreClient c = daemon.client()) {
            assertFalse(Files.exists(orphan), daemon.log());
            assertFalse(Files.exists(orphanTree.getParent()), daemon.log());
            assertTrue(Files.exists(busy), "its writer holds the item lock: " + daemon.log());
            assertTrue(c.isValidPath(valid));
            assertTrue(Files.exists(daemon.physicalStoreDir().resolve(valid.substring("/gnu/store/".length()))));
            assertTrue(daemon.log().contains("start-up: removed 2 store entries an unclean stop left unregistered"),
                    daemon.log());
        }
        try (DaemonProcess daemon = DaemonProcess.builder(root).start()) {
            // The previous stop was clean (SIGTERM): nothing is looked at, the busy one stays.
            assertTrue(Files.exists(busy));
            assertFalse(daemon.log().contains("unregistered"), daemon.log());
        }
    }
}
