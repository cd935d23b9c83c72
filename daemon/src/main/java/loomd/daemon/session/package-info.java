/**
 * One client session: the handshake, the stderr channel and its work phase, the operations, and
 * the one mapping of failures to STDERR_ERROR ({@link loomd.daemon.session.ErrorMapping}).
 *
 * <p>Operations: {@link loomd.daemon.session.OpTable} maps every op of 0x164, in numeric order, to
 * a reader of its request (the records of {@code loomd.protocol.ops}, shared with the client) and
 * a handler; handlers are grouped by family ({@code QueryOps}, {@code TransferOps},
 * {@code RootOps}, {@code BuildOps}, {@code SubstituteOps}, {@code OptionOps}).
 * {@link loomd.daemon.session.Dispatcher} is the one generic path: read the whole request, start
 * the work phase, run, stop, write the reply; the table's rows name the few upstream exceptions.
 * {@link loomd.daemon.session.Pending} lists the ops that still answer as stubs and logs each
 * stub answer.
 *
 * <p>Concurrency: a {@link loomd.daemon.session.Session} and everything it creates (reader,
 * writer, {@link loomd.daemon.session.StderrChannel}, its settings copy, its temp roots) are
 * confined to the connection's virtual thread; nothing here is shared between sessions except
 * the store ({@link loomd.daemon.store.LocalStore}, whose capability objects are thread-safe), a small
 * cache of the {@code /etc/passwd} users found by uid (Caffeine, 30 s), and the pool of wire
 * buffers ({@code WireBuffers.Pool}, a lock-free deque): a session borrows a reader/writer pair
 * for one operation (or a burst of quick ones, see {@link loomd.daemon.session.ReadSpin}) and gives
 * it back only if it was flushed and fully read, before it parks, so an idle connection holds no
 * 64 KiB buffers and no stale byte can reach another client. {@code ReadSpin} also keeps the
 * daemon-wide counts of spinning sessions and of sessions in an operation (atomics). No native
 * call is made here except {@link loomd.daemon.session.ClientWatch}'s zero-timeout poll and
 * {@code ReadSpin}'s {@code sched_yield} (through {@code loomd.posix.Cpu}), neither of which blocks.
 *
 * <p>Error rule (protocol.md §7.2): an error while the channel is not working (request decoding,
 * an unknown op, a bad store path argument, a malformed NAR or setting) is sent and ends the
 * session; an error inside the work phase is sent and the session reads the next op. A client
 * hang-up noticed during work ({@link loomd.daemon.session.ClientGoneException}) ends the session
 * without a reply.
 */
package loomd.daemon.session;
