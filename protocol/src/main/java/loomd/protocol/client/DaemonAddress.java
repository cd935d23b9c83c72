package loomd.protocol.client;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the daemon listens, parsed as the Guix client parses {@code GUIX_DAEMON_SOCKET}
 * (protocol.md §1): a file name, {@code file://} or {@code unix://} URIs, or
 * {@code guix://HOST[:PORT]} for TCP (default port 44146).
 */
public sealed interface DaemonAddress {
    String DEFAULT_SOCKET = "/var/guix/daemon-socket/socket";
    int DEFAULT_TCP_PORT = 44146;

    record Unix(Path socket) implements DaemonAddress {}

    record Tcp(String host, int port) implements DaemonAddress {}

    static DaemonAddress parse(String uriOrFile) {
        if (uriOrFile.startsWith("/") || !uriOrFile.contains(":")) {
            return new Unix(Path.of(uriOrFile));
        }
        URI uri = URI.create(uriOrFile);
        return switch (uri.getScheme()) {
            case "file", "unix" -> new Unix(Path.of(uri.getPath()));
            case "guix" -> new Tcp(uri.getHost(), uri.getPort() < 0 ? DEFAULT_TCP_PORT : uri.getPort());
            default -> throw new IllegalArgumentException("unsupported daemon URI scheme: " + uriOrFile);
        };
    }

    /** {@code GUIX_DAEMON_SOCKET} from the environment, else the default socket. */
    static DaemonAddress fromEnvironment(Map<String, String> env) {
        String value = env.get("GUIX_DAEMON_SOCKET");
        return parse(value == null || value.isEmpty() ? DEFAULT_SOCKET : value);
    }
}
