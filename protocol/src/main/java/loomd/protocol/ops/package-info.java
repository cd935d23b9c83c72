/**
 * One definition of every operation of worker protocol 0x164 (protocol.md §6), shared by the
 * client ({@link loomd.protocol.client.StoreClient} writes requests and reads replies) and the
 * daemon (which reads requests and writes replies).
 *
 * <p>Each operation is a record implementing {@link loomd.protocol.ops.Request}, named after the
 * op without its {@code wop} prefix ({@code wopQueryPathInfo} is {@link loomd.protocol.ops.QueryPathInfo}).
 * It has {@code static X read(WireReader in, int minor)} and {@code write(WireWriter out, int minor)}
 * for the fields after the op code, and {@code readReply} for the reply that follows
 * {@code STDERR_LAST}. Replies are the records implementing {@link loomd.protocol.ops.Reply}; ops
 * whose replies share a wire shape share the record ({@link loomd.protocol.ops.IntReply},
 * {@link loomd.protocol.ops.PathsReply}, ...). Every version gate is a {@link loomd.protocol.ops.Gate}.
 *
 * <p>Direction decides strictness: requests are read by the daemon, which rejects an {@code int}
 * with high bytes set as upstream does; replies are read by the client, which, like the Guix
 * client, looks only at the low 32 bits. Every length and count is bounded by the
 * {@link loomd.protocol.wire.LimitKind} the field had before this package existed, so nothing is
 * allocated for what a peer merely claims.
 *
 * <p>Streams stay streams: the NAR after {@link loomd.protocol.ops.AddToStore}'s fields, the
 * export data of {@link loomd.protocol.ops.ExportPath} (STDERR_WRITE) and the bundle of
 * {@link loomd.protocol.ops.ImportPaths} (STDERR_READ) are not part of the records.
 *
 * <p>Fields of type store-path are listed by {@link loomd.protocol.ops.Request#storePaths()}; the
 * daemon checks them once the whole request is read. Upstream checks each as it reads it, which
 * differs only for a request that is also truncated or malformed after the bad path: either way
 * the error is fatal.
 *
 * <p>Concurrency: records are immutable (but for {@link loomd.protocol.ops.AddTextToStore}'s byte
 * array, which nobody mutates); reading and writing use the caller's wire reader or writer, which
 * belong to one connection's thread.
 */
package loomd.protocol.ops;
