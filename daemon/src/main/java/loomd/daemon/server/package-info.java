/**
 * Listening sockets (Unix, TCP, systemd socket activation), the accept loops, the shaped
 * connection limit, the idle time-outs, the draining shutdown and the idle exit.
 *
 * <p>Threads: one platform thread per listener runs its accept loop (a blocking
 * {@code accept(2)}, never on a virtual thread's carrier); each admitted connection gets one
 * virtual thread from the server's thread-per-task executor, which owns the channel from the
 * first byte to {@code close()}; one platform thread ({@code connection-timeouts}) runs the idle
 * timers.
 *
 * <p>Admission (Helidon's model, with the permit taken after {@code accept} because it depends
 * on the peer): the accept loop accepts without waiting, reads the peer's uid (SO_PEERCRED; every
 * TCP peer is the one account "remote"), and asks {@link loomd.daemon.server.Admission} for a
 * slot. A uid other than root holds at most {@code --max-user-connections}, all of them together
 * at most {@code --max-connections} minus {@code --root-connections}; root (uid 0) has no share
 * and may take any free slot. A connection refused is closed at once, so nobody waits in the
 * listen backlog behind a user over its share. The session's one try/finally closes the channel
 * and returns the slot.
 *
 * <p>Idle time-outs ({@link loomd.daemon.server.Connection}): a connection that has not completed
 * its handshake within {@code --handshake-timeout}, or sent its first operation within
 * {@code --first-op-timeout} of it, is closed by its timer; the session reports both points
 * through {@code Session.Progress}, and the timer and the session decide under the connection's
 * monitor, so a session told to go on is never closed by a stale timer. After the first operation
 * there is no time-out, as upstream.
 *
 * <p>Idle exit ({@code --idle-exit}, socket-activated only): one platform thread
 * ({@code idle-exit}) samples the open connections and the daemon's other work (builder
 * processes) a few times a second; {@code lastActivityNanos} (volatile) is set by each admission,
 * each session's end and each busy sample; once it is older than the idle time the thread runs
 * the shutdown below and the daemon exits 0.
 *
 * <p>Shared state of {@link loomd.daemon.server.Server}, all lock-free except the state word and
 * the admission counts:
 * <ul>
 * <li>{@code admission}, the per-account counts, under its own monitor (a few map operations).</li>
 * <li>{@code open}, a concurrent set of the connections being served, so shutdown can close
 *     them; only a session's own cleanup removes its connection and frees its slot (exactly once,
 *     guarded by the removal).</li>
 * <li>{@code sessions}, the executor: its termination is what a drain waits for.</li>
 * <li>{@code state} (NEW, RUNNING, DRAINING, STOPPED), changed under the Server's monitor;
 *     accept loops read it without the lock (volatile).</li>
 * </ul>
 * Shutdown (the JVM's shutdown hook, on SIGTERM/SIGINT, or {@link loomd.daemon.server.IdleExit}):
 * state DRAINING, listeners closed and their accept loops joined (a connection accepted before the
 * close still gets its session; one not accepted stays in the listening socket's backlog, which
 * under socket activation the service manager keeps for the next daemon), the executor shut
 * down and awaited for {@code --shutdown-grace}; then the
 * remaining channels are closed, which ends each session at its next read or write, and the
 * executor is awaited 5 s more for their cleanup (temp-roots files); sessions still running then
 * are interrupted ({@code shutdownNow}) and given 1 s, before the store and the locker are closed.
 */
package loomd.daemon.server;
