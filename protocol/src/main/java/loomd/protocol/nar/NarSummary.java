package loomd.protocol.nar;

import java.util.Optional;
import loomd.protocol.hash.Hash;

/**
 * What a parse learned about a NAR, all computed in the same pass as the parse.
 *
 * @param nar sha256 and size of the exact NAR bytes
 * @param rootType the type of the top-level node
 * @param rootExecutable whether a regular root carried the {@code executable} marker
 * @param extraNarHash the NAR hashed with {@link NarOptions#extraNarAlgorithm()}, if requested
 * @param contentsHash a regular root's contents hashed with {@link NarOptions#contentsAlgorithm()},
 *     if requested and the root is a regular file (flat {@code wopAddToStore})
 */
public record NarSummary(NarResult nar, NarNodeType rootType, boolean rootExecutable, Optional<Hash> extraNarHash,
                         Optional<Hash> contentsHash) {

    /** True if the whole NAR is one regular file: what a flat add requires. */
    public boolean isSingleRegularFile() {
        return rootType == NarNodeType.REGULAR;
    }
}
