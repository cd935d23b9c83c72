package loomd.daemon.server;

import java.nio.channels.SocketChannel;

import loomd.daemon.session.Peer;
import loomd.daemon.session.Session;

/** Serves one accepted connection on the calling (virtual) thread; must not throw. */
@FunctionalInterface
public interface ConnectionHandler {
    /** @param progress to tell of the handshake's end and the first operation (idle time-outs) */
    void serve(SocketChannel channel, Peer peer, Session.Progress progress);
}
