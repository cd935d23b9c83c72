package loomd.protocol.drv;

/**
 * A derivation's declared output (or its same-named env entry) differs from the computed one, or a
 * fixed-output hash field is unusable. Messages are upstream's exact texts, e.g.
 * {@code derivation `<drv>' has incorrect output `<p>', should be `<q>'}.
 */
public final class IncorrectOutputException extends DerivationException {
    public IncorrectOutputException(String message) {
        super(message);
    }

    static IncorrectOutputException of(String drvPath, String have, String want) {
        return new IncorrectOutputException(
                "derivation `" + drvPath + "' has incorrect output `" + have + "', should be `" + want + "'");
    }
}
