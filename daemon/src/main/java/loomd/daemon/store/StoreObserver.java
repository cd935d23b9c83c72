package loomd.daemon.store;

/**
 * Hooks at the durability-relevant steps of adding a path, in the order they happen: contents
 * canonicalised and fsynced under a temporary name, renamed to the final name (and the store
 * directory fsynced), then registered. Tests use it to check the order and to simulate a crash
 * (an exception thrown from a hook aborts the add at that point). Called on the adding thread,
 * except {@link #fsynced}. A batch (an import bundle) reports each item's step in turn.
 */
public interface StoreObserver {
    StoreObserver NONE = new StoreObserver() {};

    /** The tree under temporary name {@code tempName} is canonical and durable. */
    default void synced(String tempName, String destination) {}

    /** {@code destination} now names the complete tree, and the rename is durable. */
    default void renamed(String destination) {}

    /** {@code destination} is registered (the transaction committed). */
    default void registered(String destination) {}

    /** {@code physical} (a file or directory) was fsynced, on the thread that did it. */
    default void fsynced(java.nio.file.Path physical) {}
}
