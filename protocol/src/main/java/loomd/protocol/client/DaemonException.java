package loomd.protocol.client;

import java.io.IOException;

/**
 * The daemon answered an operation with {@code STDERR_ERROR} (the Guix client's
 * {@code &store-protocol-error}). The message is the daemon's text; {@link #status()} its status
 * (1 generic, 100 build failed, 101 timed out). After a non-fatal error the connection is still
 * usable; after a fatal one the daemon has closed it and the next call fails with an I/O error.
 */
public final class DaemonException extends IOException {
    private final int status;

    public DaemonException(String message, int status) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
