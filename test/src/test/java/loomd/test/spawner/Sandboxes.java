package loomd.test.spawner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import loomd.process.ExitStatus;
import loomd.spawner.Namespace;
import loomd.spawner.Output;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.SpawnerClient;
import loomd.testkit.Poll;

/** Shared fixtures: the spawner binary, a busybox root, and a run-and-collect helper. */
final class Sandboxes {
    static final String BUSYBOX = "/bin/busybox";
    static final List<String> APPLETS = List.of("sh", "ls", "cat", "hostname", "id", "ip", "sleep", "true",
            "echo", "touch", "mkdir", "wc", "false", "grep", "cut", "sed");

    private Sandboxes() {}

    static Path binary() {
        String path = System.getProperty("loomd.spawnerBinary");
        if (path == null) {
            throw new IllegalStateException("system property loomd.spawnerBinary is not set");
        }
        return Path.of(path);
    }

    /** A root with /bin holding busybox applet symlinks; busybox itself arrives by a read-only bind. */
    static Path prepareRoot(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        return dir;
    }

    /** The full sandbox: every namespace but user, the root, busybox, /proc and a minimal /dev. */
    static SpawnRequest.Builder sandbox(Path root, String... argv) {
        return SpawnRequest.builder()
                .argv(argv)
                .env("PATH", "/bin")
                .namespaces(Namespace.MOUNT, Namespace.PID, Namespace.NET, Namespace.IPC, Namespace.UTS)
                .root(root.toString())
                .bind(BUSYBOX, true)
                .mountProc(true)
                .minimalDev(true)
                .hostname("sandbox")
                .cwd("/")
                .output(Output.CAPTURE);
    }

    record Result(ExitStatus status, String output) {}

    static Result run(loomd.spawner.Spawner client, SpawnRequest request) throws Exception {
        SpawnedProcess p = client.spawn(request).get(10, TimeUnit.SECONDS);
        CompletableFuture<String> out = readAll(p.output());
        ExitStatus status = p.onExit().get(10, TimeUnit.SECONDS);
        return new Result(status, out.get(10, TimeUnit.SECONDS));
    }

    /** Reads a stream to EOF on a virtual thread. */
    static CompletableFuture<String> readAll(InputStream in) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            String text;
            try (in) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                result.completeExceptionally(e);
                return;
            }
            result.complete(text); // only once the pipe is closed, so fd counts are exact
        });
        return result;
    }

    /** Waits up to 2 s for {@code pid} to disappear (a killed orphan is reaped by the spawner shortly after). */
    static boolean gone(long pid) {
        return Poll.until(Duration.ofSeconds(2), () -> !alive(pid));
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static boolean alive(long pid) {
        // A zombie still has a /proc entry; count it as alive (nobody reaped it).
        return Files.exists(Path.of("/proc/" + pid));
    }

    static int fdCount(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) s.count();
        }
    }

    static List<Long> childrenOf(long pid) throws IOException {
        String text = Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).trim();
        return text.isEmpty() ? List.of() : java.util.Arrays.stream(text.split("\\s+")).map(Long::parseLong).toList();
    }
}
