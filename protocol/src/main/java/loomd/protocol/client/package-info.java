/**
 * The client side of worker protocol 0x164: {@link loomd.protocol.client.StoreClient} speaks every
 * operation exactly as the Guix client does, over a Unix socket, TCP, or given streams;
 * {@link loomd.protocol.client.Transcript} reads the recorded exchanges of
 * {@code spec/transcripts/} for replay tests; {@link loomd.protocol.client.BuildEvents} parses
 * build traces as the client's {@code guix/status.scm} does.
 *
 * <p>Concurrency: no locks. A {@code StoreClient}/{@link loomd.protocol.client.StoreConnection}
 * belongs to one thread at a time (the protocol is strict request/response and the wire buffers
 * are unsynchronised); use one connection per virtual thread. All I/O is blocking JDK channel or
 * stream I/O, which unmounts virtual threads; there are no native calls. The log consumer of
 * {@link loomd.protocol.client.ClientOptions} runs on the calling thread.
 */
package loomd.protocol.client;
