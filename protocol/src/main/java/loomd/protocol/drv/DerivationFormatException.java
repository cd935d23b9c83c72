package loomd.protocol.drv;

/**
 * The ATerm text is malformed or exceeds a {@link DerivationLimits} bound. The message has
 * upstream's shape ({@code expected string `,['}, {@code bad path `x' in derivation}) plus the byte
 * offset; {@link #withPath} prefixes {@code error parsing derivation `<path>': } as upstream does.
 */
public final class DerivationFormatException extends DerivationException {
    private final long offset;

    public DerivationFormatException(String message, long offset) {
        super(message);
        this.offset = offset;
    }

    private DerivationFormatException(String message, long offset, Throwable cause) {
        super(message, cause);
        this.offset = offset;
    }

    /** Byte offset in the text where the problem was found, or -1. */
    public long offset() {
        return offset;
    }

    /** The same error, with upstream's {@code error parsing derivation `<path>': } prefix. */
    public DerivationFormatException withPath(String drvPath) {
        return new DerivationFormatException(
                "error parsing derivation `" + drvPath + "': " + getMessage(), offset, this);
    }
}
