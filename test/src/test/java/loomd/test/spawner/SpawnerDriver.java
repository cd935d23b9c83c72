package loomd.test.spawner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import loomd.posix.FdPassing;
import loomd.spawner.IdMapping;
import loomd.spawner.Output;
import loomd.spawner.ProcessGroup;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.SpawnerClient;
import loomd.test.support.ChildJvm;

/**
 * A stand-in daemon run in its own JVM by the tests, so they can kill -9 it or run it as nobody.
 * Prints one line per fact on stdout.
 *
 * The work directory (third argument) must belong to the user the driver runs as.
 * <ul>
 * <li>{@code hold BINARY WORKDIR}: starts sandboxed and plain children that fork grandchildren, prints
 *     {@code READY <spawner pid> <child pids...>}, then waits to be killed.</li>
 * <li>{@code unprivileged BINARY WORKDIR}: (run as a non-root user) runs checks in a user namespace and prints
 *     {@code KEY=VALUE} lines, then {@code DONE}.</li>
 * </ul>
 */
public final class SpawnerDriver {
    private SpawnerDriver() {}

    public static void main(String[] args) throws Exception {
        Path binary = Path.of(args[1]);
        Path work = Path.of(args[2]);
        Path root = Sandboxes.prepareRoot(Files.createDirectories(work.resolve("root")));
        SpawnerClient client = SpawnerClient.launch(binary, work.resolve("run"));
        switch (args[0]) {
            case "hold" -> hold(client, root);
            case "unprivileged" -> unprivileged(client, root);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void hold(SpawnerClient client, Path root) throws Exception {
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            SpawnRequest sandboxed = Sandboxes.sandbox(root, "/bin/sh", "-c", "sleep 1000 & sleep 1000")
                    .output(Output.DISCARD).build();
            pids.add(client.spawn(sandboxed).get(10, TimeUnit.SECONDS).pid());
            SpawnRequest plain = SpawnRequest.builder().argv("/bin/busybox", "sh", "-c", "sleep 1000 & sleep 1000")
                    .processGroup(ProcessGroup.NEW_GROUP).build();
            pids.add(client.spawn(plain).get(10, TimeUnit.SECONDS).pid());
        }
        StringBuilder line = new StringBuilder("READY ").append(client.spawnerPid());
        pids.forEach(p -> line.append(' ').append(p));
        System.out.println(line);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void unprivileged(SpawnerClient client, Path root) throws Exception {
        IdMapping map = new IdMapping(30001, (int) uid(), 30000, (int) gid());
        report(client, "id", Sandboxes.sandbox(root, "/bin/id").userNamespace(map).identity(30001, 30000));
        report(client, "pid", Sandboxes.sandbox(root, "/bin/sh", "-c", "echo $$").userNamespace(map));
        report(client, "hostname", Sandboxes.sandbox(root, "/bin/hostname").userNamespace(map));
        report(client, "netdev", Sandboxes.sandbox(root, "/bin/cat", "/proc/net/dev").userNamespace(map));
        report(client, "dev", Sandboxes.sandbox(root, "/bin/ls", "/dev").devPts(true).devShm(true).userNamespace(map));
        report(client, "ro", Sandboxes.sandbox(root, "/bin/sh", "-c", "touch /bin/busybox || echo refused").userNamespace(map));
        report(client, "locked", Sandboxes.sandbox(root, "/bin/sh", "-c", "cat /proc/self/uid_map; touch /proc/x || true")
                .userNamespace(map).identity(30001, 30000).lockMounts(true).chmodRootReadOnly(true));
        report(client, "fds", Sandboxes.sandbox(root, "/bin/sh", "-c", "ls /proc/$$/fd; true").userNamespace(map));
        try {
            client.spawn(Sandboxes.sandbox(root, "/bin/id").userNamespace(map).identity(0, 30000).build()).get(10, TimeUnit.SECONDS);
            System.out.println("refused=no");
        } catch (java.util.concurrent.ExecutionException e) {
            System.out.println("refused=" + e.getCause().getMessage());
        }
        try {
            client.spawn(Sandboxes.sandbox(root, "/bin/id").build()).get(10, TimeUnit.SECONDS);
            System.out.println("privileged=no-error");
        } catch (java.util.concurrent.ExecutionException e) {
            System.out.println("privileged=" + e.getCause().getMessage());
        }
        client.close();
        System.out.println("DONE");
    }

    private static void report(SpawnerClient client, String key, SpawnRequest.Builder request) throws Exception {
        SpawnedProcess p;
        try {
            p = client.spawn(request.build()).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            System.out.println(key + "=ERROR " + e.getCause().getMessage());
            return;
        }
        String out = new String(p.output().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.onExit().get(10, TimeUnit.SECONDS);
        System.out.println(key + "=" + out.trim().replace('\n', ','));
    }

    /** The command line that runs this driver in a fresh JVM, behind {@code prefix} (e.g. setpriv ...). */
    static List<String> command(List<String> prefix, String mode, Path workDir) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(ChildJvm.command(SpawnerDriver.class, List.of("-Djava.io.tmpdir=/tmp"),
                SpawnerClient.class, FdPassing.class));
        cmd.addAll(List.of(mode, Sandboxes.binary().toString(), workDir.toString()));
        return cmd;
    }

    private static long uid() throws Exception {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    private static long gid() throws Exception {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    }
}
