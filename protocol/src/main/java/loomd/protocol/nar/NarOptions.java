package loomd.protocol.nar;

import java.io.OutputStream;
import java.util.Objects;
import loomd.protocol.hash.HashAlgorithm;

/**
 * Options of a NAR parse ({@link NarHasher}, {@link NarRestorer}).
 *
 * @param limits bounds enforced while parsing
 * @param tee receives a copy of every NAR byte consumed, in order (null: none)
 * @param extraNarAlgorithm a second digest over the NAR bytes, e.g. md5 for a recursive md5
 *     fixed-output add (null: none)
 * @param contentsAlgorithm a digest over a regular root's contents, for flat adds (null: none)
 * @param flat restorer only: write a regular root as a non-executable file, and write nothing
 *     at all when the root is not a regular file (the whole NAR is still parsed, so the caller
 *     can answer "regular file expected" and go on with the connection)
 */
public record NarOptions(NarLimits limits, OutputStream tee, HashAlgorithm extraNarAlgorithm,
                         HashAlgorithm contentsAlgorithm, boolean flat) {
    public static final NarOptions DEFAULT = new NarOptions(NarLimits.DEFAULT, null, null, null, false);

    public NarOptions {
        Objects.requireNonNull(limits);
    }

    public NarOptions withLimits(NarLimits value) {
        return new NarOptions(value, tee, extraNarAlgorithm, contentsAlgorithm, flat);
    }

    public NarOptions withTee(OutputStream value) {
        return new NarOptions(limits, value, extraNarAlgorithm, contentsAlgorithm, flat);
    }

    public NarOptions withExtraNarAlgorithm(HashAlgorithm value) {
        return new NarOptions(limits, tee, value, contentsAlgorithm, flat);
    }

    public NarOptions withContentsAlgorithm(HashAlgorithm value) {
        return new NarOptions(limits, tee, extraNarAlgorithm, value, flat);
    }

    public NarOptions withFlat(boolean value) {
        return new NarOptions(limits, tee, extraNarAlgorithm, contentsAlgorithm, value);
    }
}
