/**
 * The {@code guix authenticate} helper: one process per store, started on first use; one request
 * and its reply at a time under {@link loomd.daemon.store.auth.AuthenticateAgent}'s mutex.
 */
package loomd.daemon.store.auth;
