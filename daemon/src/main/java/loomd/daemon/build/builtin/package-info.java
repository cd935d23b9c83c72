/**
 * Built-in builders (daemon.md §4.14), run by the daemon itself instead of upstream's
 * {@code guix perform-download}: {@code builtin:download} natively (JDK HTTP client, {@code file://},
 * {@code mirror://}) and {@code builtin:git-download} through JGit. The goal ({@code LocalBuild})
 * starts a {@link loomd.daemon.build.builtin.BuiltinRun} where it would spawn a builder; the run writes
 * the {@code out} output where a non-isolated builder would, and the goal checks and registers it
 * through {@code OutputRegistrar} like any output (so the fixed-output hash check, its
 * {@code hash mismatch} text and {@code @ hash-mismatch} trace are the common ones).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>The derivation's Scheme attributes are read, never evaluated ({@link
 *       loomd.daemon.build.builtin.SchemeDatum}); what needs evaluation goes to {@code guix
 *       perform-download} when installed, else fails with a message that says so.</li>
 *   <li>Before anything is fetched the store is asked for the expected content (fixed-output paths of
 *       the same hash under plausible names, {@code .links}); a copy counts only once its hash is
 *       checked.</li>
 *   <li>A {@code file://} URL is read only if everyone may read the file: the daemon reads with its own
 *       rights (root, possibly), where upstream's helper ran as a build user.</li>
 *   <li>The run ends exactly once with one {@link loomd.daemon.build.BuildOutcome}; the log is closed
 *       first (by the run, or by the {@code guix perform-download} run it handed over to).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * One virtual thread per run does everything (HTTP reads, file copies, JGit); it owns the output file
 * and the log. {@link loomd.daemon.build.builtin.BuiltinRun#cancel()} and the {@code build-timeout}
 * timer (the JDK's delayed executor) only interrupt that thread or cancel the handed-over process;
 * an interrupted run ends {@code Cancelled} or {@code TimedOut}. The shared HTTP client runs its
 * I/O on virtual threads too. No native call blocks anywhere here.
 */
package loomd.daemon.build.builtin;
