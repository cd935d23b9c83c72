package loomd.daemon.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/** Opens the sockets of {@code --listen} (or the default one), daemon.md §3.1. */
public final class Listeners {
    /**
     * Upstream listens with a backlog of 5; we allow more so that a burst of clients waits in the
     * kernel queue rather than fails to connect. The connection limit never holds clients there:
     * the accept loops accept at once and refuse what is over the limit (see Admission).
     */
    public static final int BACKLOG = 1024;

    private Listeners() { }

    public static List<Listener> open(List<String> listen, Path defaultSocket) throws IOException {
        List<Listener> result = new ArrayList<>();
        try {
            if (listen.isEmpty()) {
                result.add(unix(defaultSocket));
            }
            for (String value : listen) {
                Endpoint endpoint;
                try {
                    endpoint = Endpoint.parse(value);
                } catch (IllegalArgumentException e) {
                    throw new IOException(e.getMessage());
                }
                switch (endpoint) {
                    case Endpoint.Unix u -> result.add(unix(u.path()));
                    case Endpoint.Tcp t -> tcp(value, t, result);
                }
            }
            return result;
        } catch (IOException | RuntimeException e) {
            result.forEach(Listener::close);
            throw e;
        }
    }

    /** Parent directories created, any old file replaced, the socket file made mode 0666. */
    static Listener unix(Path path) throws IOException {
        Files.createDirectories(path.getParent());
        Files.deleteIfExists(path);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path), BACKLOG);
            // Access control is the directory's business, as upstream (umask 0111 at bind).
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw new IOException("cannot bind to socket '" + path + "': " + e.getMessage(), e);
        }
        return new Listener(channel, true, path.toString(), path);
    }

    /**
     * Binds every address {@code HOST} resolves to (upstream binds the first only, so {@code localhost}
     * may end up IPv4-only or IPv6-only: §9.16), adding each listener to {@code into}.
     */
    static void tcp(String value, Endpoint.Tcp endpoint, List<Listener> into) throws IOException {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(endpoint.host());
        } catch (UnknownHostException e) {
            throw new IOException("failed to look up '" + value + "': Name or service not known", e);
        }
        for (InetAddress address : new java.util.LinkedHashSet<>(List.of(addresses))) {
            into.add(tcp(address, endpoint.port()));
        }
    }

    static Listener tcp(InetAddress address, int port) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.bind(new InetSocketAddress(address, port), BACKLOG);
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot bind TCP socket: " + e.getMessage(), e);
        }
        return new Listener(channel, false, "tcp " + address.getHostAddress() + ":" + port, null);
    }
}
