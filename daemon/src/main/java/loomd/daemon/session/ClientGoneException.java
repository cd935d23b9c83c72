package loomd.daemon.session;

/**
 * The client hung up while an operation was working (protocol.md §7.3). Like upstream's
 * "interrupted", it unwinds the whole session: no reply is sent, per-session resources are released.
 */
public final class ClientGoneException extends RuntimeException {
    public ClientGoneException(String message) {
        super(message, null, false, false);
    }
}
