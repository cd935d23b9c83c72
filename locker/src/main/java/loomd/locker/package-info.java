/**
 * The locker: a separate, long-lived process that holds every file lock of the daemon, and the daemon-side
 * client that talks to it.
 *
 * <h2>Why a process</h2>
 * Upstream takes classic fcntl locks in one process per session. In one JVM those locks would not exclude
 * sessions from each other, closing any fd of a file would drop the JVM's lock on it, and one fd per held
 * lock would exhaust descriptors. The locker takes Linux OFD locks (F_OFD_SETLK/F_OFD_SETLKW), which exclude
 * each other per open file description and conflict both ways with classic locks of other programs on the
 * same store (upstream guix-daemon, Guile's {@code with-file-lock}). The daemon holds no lock fd of the locker's:
 * the locker opens the file by path, or receives the daemon's fd by SCM_RIGHTS, after which the daemon closes its
 * copy. (One exception lives in the daemon, not here: uncontended store-item locks taken without waiting on
 * descriptors the daemon alone owns; the store package's lock table has its rule.)
 *
 * <h2>Which program</h2>
 * The locker is {@code loomd-locker}, a small C program ({@code src/main/c}, built by gcc with this module,
 * carried in its jar and extracted into {@code <runtime dir>/loomd} like the spawner; its contract, with
 * numbered rules, heads {@code locker.c}): about 1.5 MB resident, back within milliseconds of a kill -9.
 * {@link loomd.locker.LockerMain}, the earlier JVM locker, speaks the same {@link loomd.locker.Wire} protocol
 * and still runs with system property {@code loomd.locker=jvm} (or {@code LOOMD_LOCKER=jvm}), to compare
 * the two; {@code LockerProgram} picks one. Nothing above {@link loomd.locker.LockerClient} tells them apart.
 *
 * <h2>Owners</h2>
 * Every lock belongs to a {@link loomd.locker.LockOwner}: one per session, one per build (goal), one for the
 * collector. {@link loomd.locker.LockerClient#releaseAll} ends an owner's locks (and cancels its waiting
 * requests) and touches no other owner's. An owner may hold a given file once; a second request for the same
 * file (same device and inode) by the same owner fails with EDEADLK
 * ("deadlock: trying to re-acquire self-held lock"), upstream's answer to re-locking a self-held path lock.
 * Use {@link loomd.locker.LockerClient#relock} to change a held lock's mode.
 *
 * <h2>The locks and their order</h2>
 * Which files the daemon locks ({@code <db>/big-lock}, {@code V/gc.lock}, {@code V/temproots/*},
 * {@code <store path>.lock}, {@code V/userpool/<uid>}), who holds each, in what order and what it guards:
 * the lock table in the documentation of package {@code loomd.daemon.store} (daemon module), the only copy.
 * What this package adds to it: {@link loomd.locker.PathLocks} takes a set of store-path locks in sorted byte
 * order with upstream's stale-file check and releases them with deletion; a WAIT request that inverts the
 * table's order is a bug in the caller that the locker cannot detect (OFD locks have no deadlock detection),
 * including two shared holders both upgrading with WAIT.
 *
 * <h2>Threads</h2>
 * Daemon side: callers (virtual threads) only enqueue a request and receive a {@code CompletableFuture};
 * {@code join()} parks them. The link's writer platform thread sends requests (batched, with passed fds); its
 * reader platform thread completes futures as replies arrive (out of order: replies carry request ids). The
 * client's state is lock-free: {@code ConcurrentHashMap}s of owners and of each owner's held locks, and an
 * atomic reference to the current link.
 * Locker side: one reader thread handles requests in arrival order and never blocks on a lock; a request that
 * must wait gets its own thread blocked in F_OFD_SETLKW, so it delays nobody (the kernel queues the waiters
 * and wakes one at release: no polling, and the same order classic lockers get). One mutex (the native
 * locker's table, {@code LockTable} in the JVM one) guards the locker's tables; no blocking call runs under it.
 * Only the reader thread closes held locks' fds. A cancelled waiter of the native locker is interrupted out
 * of the kernel by a signal and ends at once; the JVM locker's stays blocked until it gets the lock, then
 * drops it at once (so does the native one's if the signal lands just before it enters the kernel).
 *
 * <h2>Death</h2>
 * Daemon dies: the locker reads end of stream and exits (the native one also gets SIGKILL as its parent-death
 * signal, which follows the link's reader thread: that thread starts the locker); the kernel closes its fds
 * and so releases every lock (measured in {@code loomd.test.locker.LockerDeathTest}: 200 locks free within
 * a few ms of a kill -9).
 * Locker dies: the client sees reader EOF and {@code Process.onExit()} at once (no polling), fails every request
 * in flight with {@link loomd.locker.LockerUnavailableException}, marks every owner that held locks as lost
 * ({@link loomd.locker.LockOwner#whenLost()}) and starts a new locker; requests made afterwards go to it. This
 * package never re-takes a lost lock behind its owner's back (another process may have taken it in between);
 * the owner's user decides. In the daemon store ({@code loomd.daemon.store.roots}):
 * <ul>
 *   <li>re-established: each temp-roots file's shared lock, as soon as the loss is reported, under a shared
 *       gc.lock and only if the file still exists (a collector that found it unlocked removed it: the next
 *       temp root then fails with an error saying the earlier roots are unprotected, and starts a new file);</li>
 *   <li>failed: every request in flight (waits for a path lock, gc.lock, a temp-roots upgrade) with an error
 *       naming the locker; an add whose {@code <path>.lock} was lost fails before registering
 *       ({@code FileLocker.PathLock#checkHeld}); the next operation uses the new locker;</li>
 *   <li>lost, not re-taken: the store's shared {@code db/big-lock} (it only excludes an exclusive holder, a
 *       schema upgrade by another daemon).</li>
 * </ul>
 * Measured in {@code loomd.test.locker.DaemonLockerDeathTest} with the real daemon.
 */
package loomd.locker;
