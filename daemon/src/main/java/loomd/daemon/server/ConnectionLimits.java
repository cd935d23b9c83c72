package loomd.daemon.server;

import java.time.Duration;

/**
 * The shape of the connection limit, so that no single user can take every slot (daemon.md §3.2
 * has no limit at all: upstream forks per connection).
 *
 * @param max connections served at once ({@code --max-connections})
 * @param perUser connections one uid other than root may hold ({@code --max-user-connections});
 *     all TCP peers together count as one user, so the network cannot crowd out local users
 * @param rootReserved slots only root (uid 0) may take once the others are used
 *     ({@code --root-connections}); root has no per-user share
 * @param handshakeTimeout a connection that has not completed the handshake by then is closed;
 *     zero: never ({@code --handshake-timeout})
 * @param firstOpTimeout a handshaken connection that has sent no operation by then is closed;
 *     zero: never ({@code --first-op-timeout})
 */
public record ConnectionLimits(int max, int perUser, int rootReserved, Duration handshakeTimeout,
        Duration firstOpTimeout) {
    public static final int DEFAULT_MAX = 4096;
    public static final int DEFAULT_ROOT_RESERVED_CAP = 64;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(60);

    public ConnectionLimits {
        if (max < 1 || perUser < 1) {
            throw new IllegalArgumentException("connection limits must be at least 1");
        }
        if (rootReserved < 0 || rootReserved >= max) {
            // Otherwise nobody but root could ever connect.
            throw new IllegalArgumentException("root's reserved connections must be fewer than the limit " + max);
        }
        if (handshakeTimeout.isNegative() || firstOpTimeout.isNegative()) {
            throw new IllegalArgumentException("time-outs must not be negative");
        }
    }

    /**
     * The defaults for a limit of {@code max}: a quarter of it per user, a quarter of it (at most
     * 64) kept for root, 60 s for the handshake, no first-operation time-out ({@code guix publish}
     * opens its connection at startup and sends its first operation with its first request).
     */
    public static ConnectionLimits of(int max) {
        return new ConnectionLimits(max, defaultPerUser(max), defaultRootReserved(max), DEFAULT_HANDSHAKE_TIMEOUT,
                Duration.ZERO);
    }

    public static int defaultPerUser(int max) {
        return Math.max(1, max / 4);
    }

    public static int defaultRootReserved(int max) {
        return Math.min(DEFAULT_ROOT_RESERVED_CAP, max / 4);
    }

    /** Slots users other than root may hold together. */
    int shared() {
        return max - rootReserved;
    }
}
