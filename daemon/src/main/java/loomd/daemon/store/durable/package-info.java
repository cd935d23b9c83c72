/**
 * The store's durability machinery: the durable checkpoint file, the flusher thread that makes
 * adds durable in groups ({@code syncfs}), and the start-up check that verifies, and repairs, what
 * was registered after the last checkpoint when the daemon did not stop cleanly.
 *
 * <p>The protocol, its crash argument and the threads involved are written down once, in the
 * {@link loomd.daemon.store store package} documentation ("Durability"). Threads here: the
 * flusher is one platform thread ({@code loomd-flusher}); the check runs on the thread opening the
 * store (a platform thread, before the daemon listens) with {@code loomd-verify-*} platform
 * threads hashing in parallel. Nothing here runs on a virtual thread except
 * {@link loomd.daemon.store.durable.Flusher#settle}, which only parks.
 */
package loomd.daemon.store.durable;
