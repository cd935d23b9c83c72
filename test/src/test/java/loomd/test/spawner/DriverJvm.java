package loomd.test.spawner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import loomd.posix.FdPassing;
import loomd.spawner.SpawnerClient;
import loomd.test.support.ChildJvm;

/** Command lines that start {@link SpawnerDriver} in a fresh JVM. */
final class DriverJvm {
    private DriverJvm() {}

    static List<String> command(List<String> prefix, String mode, Path workDir) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(ChildJvm.command(SpawnerDriver.class, List.of("-Djava.io.tmpdir=/tmp"),
                SpawnerClient.class, FdPassing.class));
        cmd.addAll(List.of(mode, Sandboxes.binary().toString(), workDir.toString()));
        return cmd;
    }
}
