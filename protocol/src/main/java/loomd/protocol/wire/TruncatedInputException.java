package loomd.protocol.wire;

/**
 * The peer's stream ended in the middle of a frame. The message starts with upstream's
 * "unexpected end-of-file" and names what was being read.
 */
public final class TruncatedInputException extends ProtocolException {
    public TruncatedInputException(String what) {
        super("unexpected end-of-file (while reading " + what + ")");
    }
}
