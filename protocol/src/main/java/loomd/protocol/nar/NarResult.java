package loomd.protocol.nar;

import loomd.protocol.hash.Hash;

/** The SHA-256 of a complete NAR and its length in bytes (formats.md §2.8). */
public record NarResult(Hash narHash, long narSize) {
}
