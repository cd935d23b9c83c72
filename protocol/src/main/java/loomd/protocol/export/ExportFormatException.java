package loomd.protocol.export;

import loomd.protocol.wire.ProtocolException;

/**
 * An export stream is malformed: bad bundle marker, wrong magic, truncation, a length prefix over
 * its limit. Upstream-visible conditions use upstream's text, e.g.
 * {@code input doesn't look like something created by `nix-store --export'}.
 */
public final class ExportFormatException extends ProtocolException {
    public ExportFormatException(String message) {
        super(message);
    }
}
