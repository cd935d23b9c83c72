package loomd.daemon.build;

import java.util.concurrent.CompletableFuture;

import loomd.daemon.store.LocalStore;

/**
 * One substitution goal (daemon.md §5.3) outside a derivation goal: {@code wopEnsurePath} and the
 * non-derivation paths of {@code wopBuildPaths}. The caller has added the path as a temp root. A
 * valid path (when not repairing) succeeds at once; otherwise the daemon's {@link Substitutions}
 * decide, on a virtual thread of their own, so the session relays their messages meanwhile.
 */
public final class SubstitutionGoal {
    private SubstitutionGoal() {
    }

    /** Starts the goal; {@code services} may be empty (no builds, hence no substituters either). */
    public static CompletableFuture<GoalStatus> start(LocalStore store, java.util.Optional<BuildServices> services,
            String path, boolean repair, BuildEvents events) {
        if (!repair && store.queries().isValidPath(path)) {
            return CompletableFuture.completedFuture(GoalStatus.ALREADY_VALID);
        }
        Substitutions subs = services.map(BuildServices::substitutions).orElse(Substitutions.NONE);
        CompletableFuture<GoalStatus> done = new CompletableFuture<>();
        Thread.ofVirtual().name("loomd-substitution").start(() -> {
            try {
                done.complete(subs.substitute(path, repair, events));
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        return done;
    }

    /** Upstream's exit status of a failed operation (§4.15): 101 timed out, 100 permanent, else 1. */
    public static int exitStatus(GoalStatus status) {
        return status == GoalStatus.TIMED_OUT ? 101 : status.permanent() ? 100 : 1;
    }
}
