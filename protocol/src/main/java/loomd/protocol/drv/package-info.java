/**
 * Derivations (formats.md §4): the {@link loomd.protocol.drv.Derivation} record, the exact ATerm
 * printer (the daemon's bytes, or the Guix client's, which escape differently) and bounded
 * parser, {@code hashDerivationModulo}, output-path computation and the daemon's output check,
 * and the {@code drv!outputs} notation. Strings keep bytes that are not UTF-8 (the Guix client
 * writes Latin-1) through {@link loomd.protocol.drv.DrvStrings}.
 *
 * <p>Concurrency: records are immutable; the printer and parser keep per-call state only.
 * {@link loomd.protocol.drv.DerivationHasher} may be shared between threads: its memo is a
 * concurrent map (no lock; a racing duplicate computation stores the same value). The resolver
 * it calls may block (file reads), so callers on virtual threads must give it a resolver that does
 * plain JDK file I/O, never a blocking native call.
 */
package loomd.protocol.drv;
