package loomd.locker;

/**
 * The locker process is gone (it died, could not be started, or the client was closed). Requests in flight
 * fail with this; locks held through the dead process are lost (see {@link LockOwner#whenLost()}).
 */
public final class LockerUnavailableException extends LockerException {
    public LockerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public LockerUnavailableException(String message) {
        super(message, null);
    }
}
