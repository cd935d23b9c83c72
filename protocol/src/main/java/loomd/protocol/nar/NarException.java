package loomd.protocol.nar;

import loomd.protocol.wire.ProtocolException;

/** A NAR stream is malformed or exceeds {@link NarLimits}; the message says where and why. */
public final class NarException extends ProtocolException {
    public NarException(String message) {
        super(message);
    }
}
