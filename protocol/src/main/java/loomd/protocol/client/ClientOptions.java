package loomd.protocol.client;

import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.Consumer;
import loomd.protocol.wire.WireLimits;

/**
 * How a {@link StoreClient} connects: the handshake's reserveSpace and CPU-affinity fields (the
 * Guix client sends reserveSpace = 1 and no affinity), where {@code STDERR_NEXT} text goes (build
 * logs and {@code @ ...} trace lines, passed through unchanged), and the bounds on what the daemon
 * may send.
 */
public record ClientOptions(boolean reserveSpace, OptionalInt cpuAffinity, Consumer<String> log, WireLimits limits) {
    public static final ClientOptions DEFAULT =
            new ClientOptions(true, OptionalInt.empty(), s -> System.err.print(s), WireLimits.DEFAULT);

    public ClientOptions {
        Objects.requireNonNull(cpuAffinity);
        Objects.requireNonNull(log);
        Objects.requireNonNull(limits);
    }

    public ClientOptions withLog(Consumer<String> newLog) {
        return new ClientOptions(reserveSpace, cpuAffinity, newLog, limits);
    }

    public ClientOptions withReserveSpace(boolean v) {
        return new ClientOptions(v, cpuAffinity, log, limits);
    }

    public ClientOptions withCpuAffinity(int cpu) {
        return new ClientOptions(reserveSpace, OptionalInt.of(cpu), log, limits);
    }

    public ClientOptions withLimits(WireLimits newLimits) {
        return new ClientOptions(reserveSpace, cpuAffinity, log, newLimits);
    }
}
