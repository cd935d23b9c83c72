/**
 * Hashes and their encodings (formats.md §1): {@link loomd.protocol.hash.HashAlgorithm},
 * {@link loomd.protocol.hash.Hash}, {@link loomd.protocol.hash.Base16},
 * {@link loomd.protocol.hash.NixBase32}. All types are immutable or stateless and thread-safe;
 * {@link java.security.MessageDigest} instances from {@code newDigest()} are not shared.
 */
package loomd.protocol.hash;
