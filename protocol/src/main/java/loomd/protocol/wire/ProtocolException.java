package loomd.protocol.wire;

import java.io.IOException;

/**
 * A frame on the wire (or a NAR, see {@code loomd.protocol.nar.NarException}) could not be decoded.
 * The message says what was wrong; for upstream-visible conditions it uses upstream's exact text.
 * Before the work phase the daemon treats this as fatal (protocol.md §7.2).
 */
public class ProtocolException extends IOException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
