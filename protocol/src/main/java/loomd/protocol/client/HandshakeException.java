package loomd.protocol.client;

import java.io.IOException;

/** The peer is not a worker-protocol daemon of a compatible major version ("build daemon handshake failed"). */
public final class HandshakeException extends IOException {
    public HandshakeException(String detail) {
        super("build daemon handshake failed: " + detail);
    }
}
