package loomd.test.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.testkit.Poll;

/**
 * The real daemon jar, started as a child JVM on a private store under a temp directory.
 *
 * <p>The daemon runs with {@code --store-root ROOT}: the logical store dir (default
 * {@code /gnu/store}, which fixes the path hashes) lives physically at {@code ROOT/gnu/store},
 * the state dir at {@code ROOT/var/guix}, the database at {@code ROOT/var/guix/db}. It always
 * listens on the Unix socket {@code ROOT/daemon.sock}, and on {@code 127.0.0.1:PORT} when
 * {@link Builder#tcp()} is asked. {@link #start()} returns once a handshake on the Unix socket
 * succeeds. {@link #close()} sends SIGTERM, waits, then kills the daemon and its helpers.
 *
 * <pre>{@code
 * try (var daemon = DaemonProcess.builder(tempDir).start()) {
 *     try (var ch = daemon.connectUnix()) { ... }
 * }
 * }</pre>
 */
public final class DaemonProcess implements AutoCloseable {

    /** The JVM flags every process running our code needs (docs/architecture.md). */
    public static final List<String> JVM_FLAGS = List.of(
            "--enable-native-access=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED");

    private final Process process;
    private final Path root;
    private final String storeDir;
    private final Path socket;
    private final int tcpPort;
    private final Path log;

    private DaemonProcess(Process process, Builder b, Path socket, int tcpPort, Path log) {
        this.process = process;
        this.root = b.root;
        this.storeDir = b.storeDir;
        this.socket = socket;
        this.tcpPort = tcpPort;
        this.log = log;
    }

    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** The shaded daemon jar the build produced (system property {@code loomd.daemonJar}). */
    public static Path daemonJar() {
        String jar = System.getProperty("loomd.daemonJar");
        if (jar == null) {
            throw new IllegalStateException("system property loomd.daemonJar is not set");
        }
        return Path.of(jar);
    }

    /** The java launcher of the JDK running the tests (a JDK 25). */
    public static Path javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    public Path root() { return root; }

    /** The logical store dir, as clients see it ({@code NIX_STORE_DIR}). */
    public String storeDir() { return storeDir; }

    /** Where store items physically live. */
    public Path physicalStoreDir() { return root.resolve(storeDir.substring(1)); }

    public Path stateDir() { return root.resolve("var/guix"); }

    public Path dbDir() { return stateDir().resolve("db"); }

    public Path dbFile() { return dbDir().resolve("db.sqlite"); }

    public Path socketPath() { return socket; }

    /** The TCP port, or -1 when the daemon does not listen on TCP. */
    public int tcpPort() { return tcpPort; }

    public long pid() { return process.pid(); }

    public Process process() { return process; }

    public Path logFile() { return log; }

    /** Everything the daemon wrote to stdout/stderr so far. */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean isAlive() { return process.isAlive(); }

    public SocketChannel connectUnix() throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    /** A client over the Unix socket, handshake done. */
    public StoreClient client() throws IOException {
        return StoreClient.connectUnix(socket, ClientOptions.DEFAULT);
    }

    /** A byte-level connection over the Unix socket, before the handshake. */
    public RawClient raw() throws IOException {
        return new RawClient(connectUnix());
    }

    public SocketChannel connectTcp() throws IOException {
        if (tcpPort < 0) {
            throw new IllegalStateException("the daemon was started without TCP");
        }
        return SocketChannel.open(new InetSocketAddress("127.0.0.1", tcpPort));
    }

    /** SIGTERM, a grace period, then SIGKILL; helpers the daemon started are killed too. */
    @Override
    public void close() {
        List<ProcessHandle> helpers = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle helper : helpers) {
            helper.destroyForcibly();
        }
    }

    /** Performs a client handshake on {@code ch} and returns the daemon's stderr-phase reply code. */
    public static long handshake(SocketChannel ch) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(0x6e697863L).putLong(0x164).putLong(0).putLong(0).flip();
        while (out.hasRemaining()) {
            ch.write(out);
        }
        ByteBuffer in = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            if (ch.read(in) < 0) {
                throw new IOException("daemon closed the connection during the handshake");
            }
        }
        in.flip();
        if (in.getLong() != 0x6478696fL) {
            throw new IOException("bad daemon magic");
        }
        in.getLong();
        long code = in.getLong();
        while (code == STDERR_NEXT) { // an info message (a rootless daemon cannot chown root's profile dir)
            long length = readLong(ch);
            ByteBuffer text = ByteBuffer.allocate((int) ((length + 7) & ~7L));
            readFully(ch, text);
            code = readLong(ch);
        }
        return code;
    }

    private static final long STDERR_NEXT = 0x6f6c6d67L;

    private static long readLong(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b);
        return b.flip().getLong();
    }

    private static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("daemon closed the connection during the handshake");
            }
        }
    }

    public static final class Builder {
        private final Path root;
        private String storeDir = "/gnu/store";
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> jvmOptions = new ArrayList<>();
        private boolean tcp;
        private boolean listenUnix = true;
        private Duration startTimeout = Duration.ofSeconds(60);
        private List<String> wrapper = List.of();
        private boolean awaitHelpers = true;

        private Builder(Path root) {
            this.root = root;
        }

        /** The directory the daemon's store, state and socket live under. */
        public Path root() { return root; }

        /** The logical store dir (default {@code /gnu/store}); it lives under the root. */
        public Builder storeDir(String logical) { this.storeDir = logical; return this; }

        /** Extra daemon command-line arguments. */
        public Builder args(String... more) { args.addAll(List.of(more)); return this; }

        public Builder env(String name, String value) { env.put(name, value); return this; }

        public Builder jvmOption(String option) { jvmOptions.add(option); return this; }

        /** Also listen on 127.0.0.1 on a free port. */
        public Builder tcp() { this.tcp = true; return this; }

        /** A command put in front of {@code java} (for example {@code prlimit --nofile=...}). */
        public Builder wrapper(String... command) { this.wrapper = List.of(command); return this; }

        public Builder startTimeout(Duration timeout) { this.startTimeout = timeout; return this; }

        /**
         * Whether {@link #start()} also waits for the locker and the spawner, which the daemon starts
         * while it already serves (default: yes, so a test finds them as children); a test of serving
         * before they are up says no.
         */
        public Builder awaitHelpers(boolean wait) { this.awaitHelpers = wait; return this; }

        public DaemonProcess start() throws IOException {
            Files.createDirectories(root);
            Path socket = root.resolve("daemon.sock");
            Path log = root.resolve("daemon.log");
            int port = tcp ? freePort() : -1;
            List<String> cmd = new ArrayList<>(wrapper);
            cmd.add(javaBinary().toString());
            cmd.addAll(JVM_FLAGS);
            cmd.addAll(jvmOptions);
            cmd.add("-jar");
            cmd.add(daemonJar().toString());
            cmd.add("--store-root=" + root);
            if (listenUnix) {
                cmd.add("--listen=" + socket);
            }
            if (tcp) {
                cmd.add("--listen=127.0.0.1:" + port);
            }
            // The shared test machine's real load would make failing builds retry (LoadRetry), changing what
            // tests of failures see; tests of the retry turn it back on with their own --load-signal.
            cmd.add("--retry-under-load=no");
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            Map<String, String> environment = pb.environment();
            environment.keySet().removeIf(k -> k.startsWith("GUIX_") || k.startsWith("NIX_")
                    || k.startsWith("LISTEN_") || k.startsWith("LOOMD_"));
            environment.put("NIX_STORE_DIR", storeDir);
            environment.putAll(env);
            DaemonProcess daemon = new DaemonProcess(pb.start(), this, socket, port, log);
            try {
                daemon.awaitReady(startTimeout);
                if (awaitHelpers) {
                    daemon.awaitHelpers(startTimeout);
                }
            } catch (IOException | RuntimeException e) {
                daemon.close();
                throw e;
            }
            return daemon;
        }
    }

    private void awaitReady(Duration timeout) throws IOException {
        IOException[] last = {null};
        boolean ready = Poll.until(timeout, () -> {
            if (!process.isAlive()) {
                throw new IOException("daemon exited with status " + process.exitValue()
                        + " before answering; its output:\n" + log());
            }
            if (!Files.exists(socket)) {
                return false;
            }
            long code;
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                code = handshake(ch);
            } catch (IOException e) {
                last[0] = e; // not listening yet: try again
                return false;
            }
            if (code != 0x616c7473L) {
                // A daemon that answers with an error will not get better: fail now, not at the timeout.
                throw new IOException("daemon handshake ended with code 0x" + Long.toHexString(code)
                        + "; its output:\n" + log());
            }
            return true;
        });
        if (!ready) {
            throw new IOException("daemon did not answer within " + timeout + "; its output:\n" + log(), last[0]);
        }
    }

    /** Until the log says how the locker's and the spawner's starts ended (logged by the daemon either way). */
    private void awaitHelpers(Duration timeout) throws IOException {
        boolean settled = Poll.until(timeout, () -> {
            String text = log();
            return (text.contains("watching the locker (pid") || text.contains("cannot start the locker"))
                    && (text.contains("spawner started (pid") || text.contains("cannot start the spawner"));
        });
        if (!settled) {
            throw new IOException("the daemon's helpers did not start within " + timeout + "; its output:\n" + log());
        }
    }

    /** A TCP port that was free a moment ago on 127.0.0.1. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
