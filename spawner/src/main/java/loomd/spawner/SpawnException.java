package loomd.spawner;

import java.io.IOException;

/** A {@link SpawnError} as an exception, for futures and callers that throw. */
public final class SpawnException extends IOException {
    private final transient SpawnError error;

    public SpawnException(SpawnError error) {
        super(error.message());
        this.error = error;
    }

    public SpawnError error() {
        return error;
    }
}
