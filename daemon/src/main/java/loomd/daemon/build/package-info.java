/**
 * Builds, the runner side (daemon.md §4.6 to §4.12, §4.16; Appendix A items 4, 5, 7). Split as zb
 * splits realisation: the goals and the scheduler (the planner and the graph, still to come) decide
 * <em>what</em> runs and when; this package holds the pieces that run <em>one</em> builder, each a
 * small file with its own tests:
 * <ul>
 *   <li>{@link loomd.daemon.build.BuildEnvironment}: the builder's environment and argv (§4.7,
 *       A.5's override order), built only from a derivation and typed inputs;</li>
 *   <li>{@link loomd.daemon.build.ContainerLayout}: the chroot of §4.8 (or the plain process of
 *       §4.9) as files on disk plus one {@link loomd.spawner.SpawnRequest};</li>
 *   <li>{@link loomd.daemon.build.ReferenceScanner}: reference scanning over the NAR stream, in the
 *       pass that computes the NAR hash and size (§4.12.1, A.4);</li>
 *   <li>{@link loomd.daemon.build.BuildLog}: the compressed log file under {@code L/drvs} (§1.5);</li>
 *   <li>{@link loomd.daemon.build.TraceLines}: the {@code @ ...} lines and the multiplex header
 *       (§4.16), byte for byte as upstream;</li>
 *   <li>{@link loomd.daemon.build.BuilderRun}: spawns the builder, pumps its output, applies the
 *       time and log limits, and ends in one {@link loomd.daemon.build.BuildOutcome}.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>The builder sees nothing of the daemon's environment except what §4.7 names
 *       ({@code impureEnvVars} of fixed-output derivations); the environment is a sorted map, so the
 *       same derivation always gets the same envp.</li>
 *   <li>A chroot contains the input closure read-only, the build directory and the fake store
 *       writable, the {@code /etc} files of §4.8, and nothing of the host beyond the {@code /dev}
 *       nodes, {@code /proc} and (fixed-output only) the host's resolver files. Outputs are never
 *       bound in.</li>
 *   <li>Every builder is started in a process group of its own (a new session), so a kill reaches
 *       everything it forked; in a chroot it is PID 1 of its namespace, so its exit takes every
 *       descendant with it.</li>
 *   <li>A {@link loomd.daemon.build.BuilderRun} ends exactly once, with one outcome; the log file
 *       is closed before the outcome is published, so a reader of the outcome finds the whole log.</li>
 * </ul>
 *
 * <h2>Threads: who owns what</h2>
 * <ul>
 *   <li>No thread is blocked per build on a native call. The builder is cloned by the spawner;
 *       its STARTED and EXITED replies complete futures on the spawner link's reader thread (a
 *       platform thread). Stages chained on those futures here only hand work over (complete a
 *       future, start a virtual thread): they never read, write or wait on that thread.</li>
 *   <li>Each running build has one <em>pump</em>, a virtual thread that owns the read end of the
 *       builder's output pipe, the {@link loomd.daemon.build.BuildLog} and the byte count: it reads
 *       chunks of at most 4096 bytes (upstream's reads, so {@code @ build-log} frames have
 *       upstream's sizes), writes them to the log and hands them to the caller's sink. A pipe read
 *       on a virtual thread parks it; it does not hold a carrier. The sink is called on the pump
 *       only, one chunk at a time, and must not block for long (the session's writer queues).</li>
 *   <li>Time limits are the process monitor's ({@link loomd.process.ProcessMonitor}): its one timer
 *       thread compares clocks and queues the kill; reads through the monitored stream count as
 *       activity. The log size limit is the pump's: it kills when the count passes the limit.</li>
 *   <li>The outcome completes when both the exit status (from the spawner) and EOF of the output
 *       (from the pump) are known; no {@code waitpid} anywhere, and a builder that closes its output
 *       but keeps running is simply still running (§9.1). A descendant that escaped the process group
 *       and keeps the pipe open cannot hold the build: once the exit status is known the pump gets
 *       {@link loomd.daemon.build.BuilderRun#OUTPUT_GRACE} to reach EOF, then its pipe is closed.</li>
 *   <li>A build's container and build directory are deleted after its goal has ended, on a virtual
 *       thread of their own ({@code LocalBuild#cleanUp}); the container is renamed aside first
 *       ({@code DRV.chroot.old-*}), so a new build of the derivation never meets it.</li>
 *   <li>Build users ({@link loomd.daemon.build.BuildUsers}): a slot is the exclusive lock of
 *       {@code V/userpool/<uid>} through the locker, taken after the output locks; a build that finds
 *       every member busy parks (no failure, §9.24). Every process of the uid is killed, and checked
 *       gone in {@code /proc} ({@link loomd.daemon.build.UserKiller}, §9.15), before the build and
 *       before the slot is freed, whatever the outcome.</li>
 *   <li>The build hook ({@link loomd.daemon.offload.BuildHook}) of one scheduler is asked by one goal
 *       at a time (its monitor); the goal it accepts owns that hook process from then on. After an
 *       accept, at most {@code BuildHook.AHEAD_MAX} hooks are started ahead on virtual threads for
 *       goals not yet answered; the operation's end kills those nobody took.</li>
 *   <li>Cancelling (a client gone, the scheduler stopping a goal) kills the process group; the
 *       outcome then is {@link loomd.daemon.build.BuildOutcome.Cancelled}. It may be called from any
 *       thread, any number of times.</li>
 * </ul>
 *
 * <h2>Other processes on the same store</h2>
 * Nothing here assumes the store is ours alone. The container directory {@code DRV.chroot} is
 * deleted first if present (a crashed daemon, or upstream's, may have left it) and always deleted
 * at the end by its owner. The paths bound into a chroot must stay valid for the build: the caller
 * keeps them alive with temp roots and holds the output locks (through the locker) while the
 * builder runs; this package takes neither.
 */
package loomd.daemon.build;
