package loomd.test.spawner;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import loomd.posix.FdPassing;
import loomd.spawner.SpawnerClient;

/** Command lines that start {@link SpawnerDriver} in a fresh JVM. */
final class DriverJvm {
    private DriverJvm() {}

    static List<String> command(List<String> prefix, String mode, Path workDir) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "-Xshare:auto", "-Djava.io.tmpdir=/tmp",
                "-cp", String.join(":", location(SpawnerDriver.class), location(SpawnerClient.class), location(FdPassing.class)),
                SpawnerDriver.class.getName(), mode, Sandboxes.binary().toString(), workDir.toString()));
        return cmd;
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
