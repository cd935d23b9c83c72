package loomd.daemon;

/** A setting that does not convert to its type; the message is upstream's text. */
public final class SettingsException extends Exception {
    public SettingsException(String message) {
        super(message);
    }
}
