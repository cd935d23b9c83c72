/**
 * The worker protocol's wire primitives (protocol.md §2): {@link loomd.protocol.wire.WireReader},
 * {@link loomd.protocol.wire.WireWriter}, their {@link loomd.protocol.wire.WireLimits}, and the
 * constants of the handshake, operations and stderr channel.
 *
 * <p>Concurrency: readers and writers are confined to one thread (the connection's virtual
 * thread); they hold no locks and do no native calls, only blocking JDK stream I/O.
 */
package loomd.protocol.wire;
