/**
 * Store directory, store paths and their computation (formats.md §3, protocol.md §7.1).
 * All types are immutable and thread-safe.
 */
package loomd.protocol.store;
