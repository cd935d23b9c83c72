package loomd.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;

/**
 * Package-time preparation for a fast start, run by {@code bin/loomd-aot}: the training run behind the AOT cache ({@code bin/loomd-aot}, run at package time under
 * {@code -XX:AOTCacheOutput}): a daemon on a scratch store under {@code args[0]}, started the way
 * {@code bin/loomd} starts it, and a few clients doing what a cold start meets first (handshake,
 * IsValidPath, an add, QueryPathInfo); then exit 0, which drains the daemon through its shutdown
 * hook and lets the JVM write the cache; before that, given a second argument, the sqlite-jdbc
 * library is extracted there ({@link #extractSqlite}). Not a daemon entry point.
 */
public final class AotTraining {
    private static final int CLIENTS = 20;

    private AotTraining() { }

    public static void main(String[] args) throws Exception {
        if (args.length > 1) {
            extractSqlite(Path.of(args[1]));
        }
        Path root = Path.of(args[0]).toAbsolutePath();
        Path socket = root.resolve("daemon.sock");
        Map<String, String> env = new HashMap<>(System.getenv());
        env.keySet().removeIf(k -> k.startsWith("GUIX_") || k.startsWith("NIX_") || k.startsWith("LISTEN_"));
        env.put("NIX_STORE_DIR", "/gnu/store");
        Main.choosePollerThreads();
        Thread daemon = Thread.ofPlatform().name("training-daemon").start(() -> {
            int status = Main.run(List.of("--store-root=" + root, "--listen=" + socket, "--disable-chroot"), env);
            if (status != 0) {
                System.exit(status);
            }
        });
        awaitSocket(socket, daemon);
        ClientOptions quiet = new ClientOptions(true, ClientOptions.DEFAULT.cpuAffinity(), s -> { },
                ClientOptions.DEFAULT.limits());
        for (int i = 0; i < CLIENTS; i++) {
            try (StoreClient c = connect(socket, quiet)) {
                String p = c.addTextToStore("training-" + i, "aot training " + i + "\n", List.of());
                c.isValidPath(p);
                c.queryPathInfo(p);
            }
        }
        System.exit(0);
    }

    /**
     * sqlite-jdbc's JNI library for this machine, where {@code bin/loomd} points
     * {@code org.sqlite.lib.path} at it: otherwise every start inflates 1 MB from the jar into
     * /tmp (a daemon killed with -9 leaves that copy behind), half a second of a loaded machine.
     */
    static void extractSqlite(Path target) throws IOException {
        String resource = "/org/sqlite/native/" + org.sqlite.util.OSInfo.getNativeLibFolderPathForCurrentOS()
                + "/libsqlitejdbc.so";
        try (var in = AotTraining.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no " + resource + " in the jar");
            }
            Path temp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.copy(in, temp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The socket file exists from bind(2) on; listen(2) follows a moment later. */
    private static StoreClient connect(Path socket, ClientOptions options) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                return StoreClient.connectUnix(socket, options);
            } catch (IOException e) {
                if (attempt >= 100) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }
    }

    private static void awaitSocket(Path socket, Thread daemon) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(socket)) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("the training daemon did not create " + socket);
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }
}
