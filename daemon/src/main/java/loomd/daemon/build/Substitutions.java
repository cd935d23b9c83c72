package loomd.daemon.build;

/**
 * Where substitution goals (daemon.md §5.3) get their paths: the extension point for substituters
 * (issue 12). Until one is installed ({@link BuildServices#useSubstitutions}) there are none, and
 * every goal ends "no substituters", which is not a failure at the top of {@code wopBuildPaths}
 * (§4.15) but makes {@code wopEnsurePath} fail. Implementations are called on a virtual thread of
 * the operation, may block (parking) and report through {@code events}.
 */
@FunctionalInterface
public interface Substitutions {
    /**
     * Makes {@code path} valid by substitution (replacing it when {@code repair}). Returns
     * {@link GoalStatus#SUBSTITUTED}, {@link GoalStatus#NO_SUBSTITUTERS} when no substituter has it,
     * or a failure status (§5.3 step 7).
     */
    GoalStatus substitute(String path, boolean repair, BuildEvents events) throws Exception;

    Substitutions NONE = (path, repair, events) -> GoalStatus.NO_SUBSTITUTERS;
}
