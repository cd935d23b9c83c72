package loomd.daemon.server;

import java.nio.file.Path;

/** A {@code --listen} value (daemon.md §3.1): a Unix socket path, or {@code HOST[:PORT]}. */
public sealed interface Endpoint {
    int DEFAULT_PORT = 44146;

    record Unix(Path path) implements Endpoint { }

    record Tcp(String host, int port) implements Endpoint { }

    /**
     * A value starting with {@code /} is a Unix socket; anything else is a host with an optional
     * port, split at the last colon as upstream does ({@code [::1]:44146} style brackets are
     * removed for convenience).
     */
    static Endpoint parse(String value) {
        if (value.startsWith("/")) {
            return new Unix(Path.of(value).normalize());
        }
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? value : value.substring(0, colon);
        String port = colon < 0 ? Integer.toString(DEFAULT_PORT) : value.substring(colon + 1);
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("failed to look up '" + value + "': Servname not supported for ai_socktype");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Tcp(host, Integer.parseInt(port));
    }
}
