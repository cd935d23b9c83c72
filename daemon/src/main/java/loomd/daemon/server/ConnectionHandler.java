package loomd.daemon.server;

import java.nio.channels.SocketChannel;

/** Serves one accepted connection on the calling (virtual) thread; must not throw. */
@FunctionalInterface
public interface ConnectionHandler {
    void serve(SocketChannel channel, loomd.daemon.session.Peer peer);
}
