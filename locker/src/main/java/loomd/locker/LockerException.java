package loomd.locker;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import java.io.IOException;

/** A lock request that did not succeed: the locker refused it, or there was no locker to ask. */
public sealed class LockerException extends IOException permits LockerUnavailableException, LockFailedException {
    LockerException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Waits for a locker future (parking a virtual thread), rethrowing a locker failure as itself. */
    static <T> T await(CompletableFuture<T> future) throws LockerException {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof LockerException le) {
                throw le;
            }
            throw e;
        }
    }
}
