package loomd.posix;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one-shot link to a helper process the daemon starts (the locker, the spawner): a listening
 * Unix socket in a fresh 0700 directory, whose path the helper gets on its command line, and that
 * accepts exactly one connection, from that helper's pid (SO_PEERCRED). {@link #close} removes the
 * socket and its directory; the accepted connection lives on.
 */
public final class HelperSocket implements AutoCloseable {
    /** sun_path holds 108 bytes, NUL included. */
    private static final int MAX_PATH_BYTES = 107;

    private final String helper;
    private final Path dir;
    private final Path socket;
    private final ServerSocketChannel server;

    private HelperSocket(String helper, Path dir, Path socket, ServerSocketChannel server) {
        this.helper = helper;
        this.dir = dir;
        this.socket = socket;
        this.server = server;
    }

    /** Binds {@code <runtimeDir>/<helper>-XXXX/link}; {@code helper} names it in errors. */
    public static HelperSocket bind(Path runtimeDir, String helper) throws IOException {
        Files.createDirectories(runtimeDir);
        Path dir = Files.createTempDirectory(runtimeDir, helper + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path socket = dir.resolve("link");
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            Files.delete(dir);
            throw new IOException("runtime directory " + runtimeDir + " is too deep for a Unix socket path (108 bytes)");
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket), 1);
        } catch (IOException e) {
            server.close();
            Files.deleteIfExists(dir);
            throw e;
        }
        return new HelperSocket(helper, dir, socket, server);
    }

    /** The path to give the helper. */
    public Path path() {
        return socket;
    }

    /**
     * Waits (on the calling platform thread) for {@code process} to connect, and gives up when it
     * exits first or {@code timeout} passes. The connection is close-on-exec: a copy in another
     * child would hide the daemon's death from the helper.
     */
    public SocketChannel accept(Process process, Duration timeout) throws IOException {
        AtomicBoolean timedOut = new AtomicBoolean();
        process.onExit().thenRun(this::closeServer);
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            timedOut.set(true);
            closeServer();
        });
        SocketChannel channel;
        try {
            channel = server.accept();
        } catch (IOException e) {
            if (!process.isAlive()) {
                throw new IOException("the " + helper + " exited before connecting (exit code "
                        + process.exitValue() + ")", e);
            }
            throw timedOut.get() ? new IOException("the " + helper + " did not connect within " + timeout, e) : e;
        }
        try {
            int peer = PeerCredentials.of(channel).pid();
            if (peer != process.pid()) {
                throw new IOException(helper + " link: connection from pid " + peer + ", expected " + process.pid());
            }
            Fds.setCloexec(Fds.fdOf(channel), true);
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    private void closeServer() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing a listener cannot lose data
        }
    }

    @Override
    public void close() throws IOException {
        closeServer();
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }
}
