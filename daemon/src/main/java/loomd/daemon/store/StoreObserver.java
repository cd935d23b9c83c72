package loomd.daemon.store;

import loomd.daemon.store.durable.Flusher;

/**
 * Hooks at the durability-relevant steps of adding a path, in the order they happen: contents
 * canonicalised under a temporary name, renamed to the final name, registered; then, on the
 * flusher thread, the group sync ({@link Flusher.Listener#syncing}) and the durable checkpoint
 * ({@link Flusher.Listener#durable}). Tests use them to check the order and to simulate a crash
 * (an exception thrown from an add's hook aborts the add at that point). The add's hooks are
 * called on the adding thread; a batch (an import bundle) reports each item's step in turn.
 */
public interface StoreObserver extends Flusher.Listener {
    StoreObserver NONE = new StoreObserver() {};

    /** The tree under temporary name {@code tempName} is complete and canonical. */
    default void canonicalised(String tempName, String destination) {}

    /**
     * {@code destination} now names the complete, canonical tree: renamed there, or, for add-text,
     * written there under its item lock (which reports no {@link #canonicalised} step).
     */
    default void renamed(String destination) {}

    /** {@code destination} is registered (the transaction committed). */
    default void registered(String destination) {}
}
