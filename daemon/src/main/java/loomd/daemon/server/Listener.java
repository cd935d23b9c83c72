package loomd.daemon.server;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One listening socket.
 *
 * @param channel the bound, listening channel (blocking)
 * @param unix whether it is a Unix-domain socket (peers then have credentials)
 * @param description for the log
 * @param socketFile the socket file we created and remove on shutdown, or null (TCP, activation)
 */
public record Listener(ServerSocketChannel channel, boolean unix, String description, Path socketFile) {

    void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // shutting down
        } catch (InternalError e) {
            // An activated socket is the JDK's InheritedServerSocketChannelImpl: after closing the
            // socket it points fds 0-2 at its /dev/null fd, which SocketActivation never let it
            // open, so that step fails with EBADF; our stderr (the log) stays as it is.
        }
        if (socketFile != null) {
            try {
                Files.deleteIfExists(socketFile);
            } catch (IOException ignored) {
                // shutting down
            }
        }
    }
}
