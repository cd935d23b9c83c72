/**
 * The export/import stream (formats.md §5): {@link loomd.protocol.export.ExportWriter} writes
 * items and bundle markers, {@link loomd.protocol.export.ExportReader} reads them back without
 * reading ahead, computing each item's signed hash.
 *
 * <p>Concurrency: no shared state, no locks; a reader or a write call belongs to one thread. I/O
 * is blocking JDK stream I/O (safe on virtual threads); signing and NAR handling are callbacks run
 * on the caller's thread.
 */
package loomd.protocol.export;
