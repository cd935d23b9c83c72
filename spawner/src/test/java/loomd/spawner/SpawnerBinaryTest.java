package loomd.spawner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpawnerBinaryTest {

    @Test
    void extractsTheBundledBinaryOnceIntoAPrivateDir(@TempDir Path temp) throws Exception {
        Path dir = temp.resolve("private");
        Path first = SpawnerBinary.extractFromJar(dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("r-x------", PosixFilePermissions.toString(Files.getPosixFilePermissions(first)));
        assertTrue(first.getFileName().toString().startsWith("loomd-spawner-"));
        assertEquals(first, SpawnerBinary.extractFromJar(dir));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp files left behind");
        }
        assertEquals(first, SpawnerBinary.fromPath(first));
        assertEquals(first, SpawnerBinary.locate(java.util.Optional.empty(), dir));
        assertEquals(first, SpawnerBinary.locate(java.util.Optional.of(first), temp.resolve("unused")));
    }

    @Test
    void aMissingConfiguredBinaryIsAClearError(@TempDir Path temp) {
        var e = assertThrows(IOException.class, () -> SpawnerBinary.fromPath(temp.resolve("nope")));
        assertTrue(e.getMessage().contains("is not an executable file"));
    }

    @Test
    void launchingAnExtractedSpawnerWorks(@TempDir Path temp) throws Exception {
        Path binary = SpawnerBinary.extractFromJar(temp.resolve("bin"));
        try (SpawnerClient client = SpawnerClient.launch(binary, temp.resolve("run"))) {
            SpawnedProcess p = client.spawn(SpawnRequest.builder().argv("/bin/sh", "-c", "exit 7").build())
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(new loomd.process.ExitStatus.Exited(7), p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        try (var left = Files.list(temp.resolve("run"))) {
            assertEquals(0, left.count(), "the one-shot socket directory is removed");
        }
    }

    @Test
    void aTooDeepRuntimeDirIsAClearError(@TempDir Path temp) throws Exception {
        Path binary = SpawnerBinary.extractFromJar(temp.resolve("bin"));
        Path deep = temp.resolve("d".repeat(100));
        var e = assertThrows(IOException.class, () -> SpawnerClient.launch(binary, deep));
        assertTrue(e.getMessage().contains("too deep"), e.getMessage());
        try (var left = Files.list(deep)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void aBrokenBinaryFailsLaunchClearly(@TempDir Path temp) throws Exception {
        Path fake = Files.writeString(temp.resolve("fake"), "#!/bin/sh\nexit 3\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        var e = assertThrows(IOException.class, () -> SpawnerClient.launch(fake, temp.resolve("run")));
        assertTrue(e.getMessage().contains("exited before connecting"), e.getMessage());
    }
}
