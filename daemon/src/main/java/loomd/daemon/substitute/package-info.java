/**
 * Substitutes (daemon.md §5): upstream's {@code guix substitute} helpers and the substitution goals.
 *
 * <p>Processes: every helper is forked by the spawner ({@link loomd.daemon.substitute.HelperProcess}),
 * in its own session; disposal closes its stdin and SIGKILLs its process group. Query helpers are
 * shared by all sessions in a bounded pool ({@link loomd.daemon.substitute.QueryHelpers}, at most
 * {@link loomd.daemon.substitute.Substituters#QUERY_HELPERS}); fetching helpers are started per
 * substitution, with a few kept idle.
 *
 * <p>Threads: each helper has one virtual thread draining its diagnostics pipe for its whole life, and
 * a fetch one more reading the status line; the caller (a session's virtual thread) reads query
 * replies itself and relays a fetch's output. All reads are JDK pipe reads, which park a virtual
 * thread; the only native call is a non-blocking FIONREAD. A helper is used by one caller at a time
 * (the pools lend it); its diagnostics sink is swapped under a lock.
 *
 * <p>Modes: {@code --substituter=helper} (the default) runs the helpers above;
 * {@code --substituter=native} ({@link loomd.daemon.substitute.Substituters#attachNative}) answers the
 * same queries and goals with {@link loomd.daemon.substitute.nativ.NativeSubstituter} and starts no
 * process. The goals are shared by both modes (the traces, the failure texts, one download per path
 * in the daemon); in native mode a path's references are substituted in parallel
 * ({@link loomd.daemon.substitute.ParallelClosure}), one virtual thread each, the listener serialised.
 */
package loomd.daemon.substitute;
