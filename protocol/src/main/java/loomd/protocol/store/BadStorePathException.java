package loomd.protocol.store;

import java.io.IOException;

/**
 * A path is not in the store, or a store name is invalid. The message is upstream's exact text,
 * e.g. {@code path `/tmp/x' is not in the store} or {@code invalid character `/' in name `a/b'}.
 */
public final class BadStorePathException extends IOException {
    public BadStorePathException(String message) {
        super(message);
    }
}
