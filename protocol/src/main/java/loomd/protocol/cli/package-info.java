/**
 * {@link loomd.protocol.cli.Main}: a small CLI over {@link loomd.protocol.client.StoreClient}.
 * Single-threaded; one connection per invocation.
 */
package loomd.protocol.cli;
