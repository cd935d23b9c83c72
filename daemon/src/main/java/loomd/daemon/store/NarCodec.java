package loomd.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.Optional;

import loomd.posix.Errno;
import loomd.posix.Fds;
import loomd.posix.PosixException;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.FileHashes;
import loomd.protocol.nar.NarOptions;
import loomd.protocol.nar.NarSummary;
import loomd.protocol.nar.NarRestorer;
import loomd.protocol.nar.NarResult;
import loomd.protocol.nar.NarWriter;

/**
 * NAR in both directions for the store (over {@code loomd.protocol.nar}): restore a stream into
 * a new tree while hashing it, and dump a tree.
 */
final class NarCodec {
    /** Symlinks through {@code symlink(2)}: the JDK would store {@code a//b/} as {@code a/b}. */
    private static final NarRestorer RESTORER = new NarRestorer(NarCodec::symlink);

    /**
     * The SHA-256 and length of the exact NAR bytes consumed, the root's kind, and the extra
     * digest asked for, if any (flat: of the root file's contents; recursive: of the NAR); and the
     * {@code .links} keys of its large files when they were asked for (else null).
     */
    record Restored(Hash narHash, long narSize, boolean rootRegular, boolean rootExecutable, Optional<Hash> extra,
                    FileHashes linkKeys) {}

    /**
     * Restores the NAR read from {@code in} at {@code target} (which must not exist), reading
     * exactly to its end; a malformed NAR throws {@link loomd.protocol.nar.NarException} and
     * leaves nothing at {@code target}.
     */
    Restored restore(InputStream in, Path target) throws IOException {
        return restore(in, target, NarOptions.DEFAULT, null);
    }

    /** As {@link #restore(InputStream, Path)}, collecting the large files' keys into {@code linkKeys} (if not null). */
    Restored restore(InputStream in, Path target, FileHashes linkKeys) throws IOException {
        return restore(in, target, NarOptions.DEFAULT, linkKeys);
    }

    /**
     * As {@link #restore(InputStream, Path)} for {@code wopAddToStore}, computing in the same pass
     * the digest the destination path needs: flat, the root file's contents in {@code algo} (the
     * file is written non-executable, and nothing is written for a non-file root); recursive with
     * an algorithm other than SHA-256, the NAR in {@code algo}.
     */
    Restored restoreForAdd(InputStream in, Path target, boolean recursive, Optional<HashAlgorithm> algo)
            throws IOException {
        return restoreForAdd(in, target, recursive, algo, null);
    }

    /** As {@link #restoreForAdd(InputStream, Path, boolean, Optional)}, collecting keys as {@link #restore(InputStream, Path, FileHashes)}. */
    Restored restoreForAdd(InputStream in, Path target, boolean recursive, Optional<HashAlgorithm> algo,
                           FileHashes linkKeys) throws IOException {
        NarOptions options = NarOptions.DEFAULT;
        if (!recursive) options = options.withFlat(true);
        if (algo.isPresent() && algo.get().isSupported()) {
            if (!recursive) options = options.withContentsAlgorithm(algo.get());
            else if (algo.get() != HashAlgorithm.SHA256) options = options.withExtraNarAlgorithm(algo.get());
        }
        return restore(in, target, options, linkKeys);
    }

    private static Restored restore(InputStream in, Path target, NarOptions options, FileHashes linkKeys)
            throws IOException {
        NarSummary s = RESTORER.restore(in, target, options, linkKeys);
        NarResult r = s.nar();
        Optional<Hash> extra = s.contentsHash().isPresent() ? s.contentsHash() : s.extraNarHash();
        return new Restored(r.narHash(), r.narSize(), s.isSingleRegularFile(), s.rootExecutable(), extra, linkKeys);
    }

    private static void symlink(Path link, String target) throws IOException {
        try {
            Fds.symlink(target, link.toString());
        } catch (PosixException e) {
            if (e.errno() == Errno.EEXIST) {
                throw new FileAlreadyExistsException(link.toString());
            }
            throw e;
        }
    }

    /** The NAR hash and size of the tree at {@code source}, streamed. */
    NarResult hash(Path source) throws IOException {
        return NarWriter.hash(source);
    }

    /** Writes the NAR of the tree at {@code source}. */
    /** Writes the NAR of {@code source}; returns its SHA-256 and size, computed in the same pass. */
    NarResult dump(Path source, OutputStream out) throws IOException {
        return new NarWriter().write(source, out);
    }
}
