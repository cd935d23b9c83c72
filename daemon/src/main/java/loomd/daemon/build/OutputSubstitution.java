package loomd.daemon.build;

import java.util.Optional;
import java.util.function.BooleanSupplier;

import loomd.protocol.drv.Derivation;

/**
 * Steps 2 and 3 of the derivation goal (daemon.md §4.3): try substitutes for the derivation's invalid
 * outputs before building it. Supplied per operation by the session (it knows the client's settings).
 */
@FunctionalInterface
public interface OutputSubstitution {
    /**
     * Substitutes the invalid outputs of {@code drv} when it allows substitutes; returns the goal's end
     * when every output is now valid, empty when it must be built. Throws upstream's "some substitutes
     * ... failed" error (aborting the operation) when a substitute failed and fallback is off.
     */
    Optional<GoalStatus> substituteOutputs(String drvPath, Derivation drv, BooleanSupplier cancelled) throws Exception;
}
