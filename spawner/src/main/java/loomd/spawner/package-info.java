/**
 * The typed client of the native spawner ({@code src/main/c/spawner.c}): {@link loomd.spawner.SpawnRequest}
 * (built Bazel-style), {@link loomd.spawner.SpawnerClient} (launch, spawn, close),
 * {@link loomd.spawner.SpawnedProcess}, errors as the sealed {@link loomd.spawner.SpawnError}.
 *
 * <p>Threads of one link (all platform threads; nothing here blocks a virtual thread):
 * <ul>
 * <li>the <em>reader</em> starts the spawner (the spawner's parent-death signal follows the thread
 *     that forked it, so that thread must live as long as the link), accepts its connection, then reads
 *     replies until EOF and completes every future: spawn futures on STARTED/FAILED, exit futures on
 *     EXITED. Dependent stages without an executor therefore run on it and must be short.</li>
 * <li>the <em>writer</em> (a single-thread executor) is the only caller of sendmsg on the link, so
 *     frames never interleave; callers of {@code spawn} and {@code kill} just queue a task.</li>
 * <li>whoever first sees the link break (reader at EOF, the JDK reaper on the spawner's exit, a failed
 *     send, {@code close()}) runs {@code linkBroken}, guarded by the {@code terminated()} future's
 *     one-time completion: it shuts the socket down both ways, fails all outstanding futures with
 *     {@link loomd.spawner.SpawnError.SpawnerGone} and releases the fds once the writer has stopped.</li>
 * </ul>
 * State: {@code pending} (id -> spawn future) and {@code running} (id -> process) are concurrent maps;
 * an entry is removed by exactly one completer, so each future completes once. No locks.
 *
 * <p>Requests are identified by a link-local id, never by pid, so a kill can never hit a recycled pid.
 */
package loomd.spawner;
