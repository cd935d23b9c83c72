package loomd.protocol.hash;

/** A textual hash or algorithm name could not be parsed; the message says why. */
public final class HashFormatException extends IllegalArgumentException {
    public HashFormatException(String message) {
        super(message);
    }
}
