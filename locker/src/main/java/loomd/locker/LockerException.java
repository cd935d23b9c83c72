package loomd.locker;

import java.io.IOException;

/** A lock request that did not succeed: the locker refused it, or there was no locker to ask. */
public sealed class LockerException extends IOException permits LockerUnavailableException, LockFailedException {
    LockerException(String message, Throwable cause) {
        super(message, cause);
    }
}
