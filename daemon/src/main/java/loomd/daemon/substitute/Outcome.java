package loomd.daemon.substitute;

/** How a substitution goal ended (daemon.md §5.3); only {@link Failed} is a failure for the caller. */
public sealed interface Outcome {
    record Substituted() implements Outcome {}

    /** No substituter has the path: not a failure, the caller may build (§4.3, §9.22). */
    record NoSubstituters() implements Outcome {}

    /** A reference could not be substituted; a derivation goal retries after building its inputs. */
    record IncompleteClosure() implements Outcome {}

    record Failed(String message) implements Outcome {}

    Outcome SUBSTITUTED = new Substituted();
    Outcome NO_SUBSTITUTERS = new NoSubstituters();
    Outcome INCOMPLETE_CLOSURE = new IncompleteClosure();
}
