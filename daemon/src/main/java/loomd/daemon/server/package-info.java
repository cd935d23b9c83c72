/**
 * Listening sockets (Unix, TCP, systemd socket activation), the accept loops, the connection
 * limit and the draining shutdown.
 *
 * <p>Threads: one platform thread per listener runs its accept loop (a blocking
 * {@code accept(2)}, never on a virtual thread's carrier); each accepted connection gets one
 * virtual thread, which owns the channel from the first byte to {@code close()}.
 *
 * <p>Shared state of {@link loomd.daemon.server.Server}, all lock-free except the state word:
 * <ul>
 * <li>{@code slots}, a Semaphore of {@code --max-connections} permits: an accept loop takes a
 *     permit <em>before</em> {@code accept}, so over the limit clients wait in the kernel's listen
 *     backlog instead of being refused; the connection's {@code close} returns it exactly once
 *     (guarded by the removal from {@code open}).</li>
 * <li>{@code open}, a concurrent set of the channels being served, so shutdown can close them;
 *     only the session's own cleanup removes a channel and frees its slot.</li>
 * <li>{@code running}, the session threads not yet through their cleanup: what a drain waits
 *     for (an AtomicInteger).</li>
 * <li>{@code state} (NEW, RUNNING, DRAINING, STOPPED), changed under the Server's monitor;
 *     accept loops read it without the lock (volatile).</li>
 * </ul>
 * Shutdown (the JVM's shutdown hook, on SIGTERM/SIGINT): state DRAINING, listeners closed (their
 * accept loops end), sessions get {@code --shutdown-grace} to finish, then their channels are
 * closed, which ends each session at its next read or write; shutdown then waits up to 5 s more
 * for their cleanup (temp-roots files) before the store and the locker are closed.
 */
package loomd.daemon.server;
