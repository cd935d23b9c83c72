package loomd.protocol.drv;

/** A derivation could not be parsed, hashed or validated. The message is upstream's text. */
public sealed class DerivationException extends Exception
        permits DerivationFormatException, IncorrectOutputException {
    public DerivationException(String message) {
        super(message);
    }

    public DerivationException(String message, Throwable cause) {
        super(message, cause);
    }
}
