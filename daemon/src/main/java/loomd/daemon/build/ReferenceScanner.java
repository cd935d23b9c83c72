package loomd.daemon.build;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.protocol.hash.NixBase32;
import loomd.protocol.nar.FileHashes;
import loomd.protocol.nar.NarResult;
import loomd.protocol.nar.NarWriter;

/**
 * Reference scanning (daemon.md §4.12.1, Appendix A.4): which candidate store paths have their hash
 * part somewhere in an output's NAR serialisation (file contents, names, symlink targets, framing).
 * It is an {@link OutputStream} fed by {@link NarWriter}, so the NAR is read once for the hash, the
 * size and the references ({@link #scan}).
 *
 * <p>Matching as upstream: a 32-byte window of Nix-base32 characters equal to a candidate's hash part.
 * Windows are tested from their last byte backwards, and the first byte outside the alphabet lets the
 * search skip past it. A hash split between two writes is found by searching, at each write, the
 * previous write's last 31 bytes joined to the new write's first 31 bytes. A found candidate leaves
 * the search set. Not thread-safe: one scanner serves one output.
 */
public final class ReferenceScanner extends OutputStream {
    static final int HASH_LENGTH = 32;
    private static final boolean[] BASE32 = new boolean[256];

    static {
        for (char c : NixBase32.ALPHABET.toCharArray()) {
            BASE32[c] = true;
        }
    }

    /** Hash part to candidate path, for the candidates not found yet. */
    private final Map<String, String> pending = new HashMap<>();
    private final SortedSet<String> found = new TreeSet<>();
    private final byte[] tail = new byte[HASH_LENGTH - 1];
    private int tailLength;

    /**
     * One output's NAR hash and size, the candidates it refers to, and the {@code .links} keys of its
     * large files when they were asked for (else null).
     */
    public record Result(NarResult nar, SortedSet<String> references, FileHashes linkKeys) {
        public Result {
            references = Collections.unmodifiableSortedSet(new TreeSet<>(references));
        }
    }

    /**
     * @param candidatePaths the input closure and every output of the derivation (the scanned one
     *                       included: self-references are kept); each base name must start with a
     *                       32-character hash part followed by {@code -}
     */
    public ReferenceScanner(Collection<String> candidatePaths) {
        for (String path : candidatePaths) {
            pending.put(hashPart(path), path);
        }
    }

    /** Serialises {@code output} as a NAR and scans it in the same pass. */
    public static Result scan(Path output, Collection<String> candidatePaths) throws IOException {
        return scan(output, candidatePaths, null);
    }

    /**
     * As {@link #scan(Path, Collection)}, also collecting into {@code linkKeys} (if not null) the
     * deduplication keys of the large files, so deduplication need not read them again (§9.6).
     */
    public static Result scan(Path output, Collection<String> candidatePaths, FileHashes linkKeys) throws IOException {
        ReferenceScanner scanner = new ReferenceScanner(candidatePaths);
        NarResult nar = new NarWriter().write(output, scanner, linkKeys);
        return new Result(nar, scanner.references(), linkKeys);
    }

    static String hashPart(String storePath) {
        String base = storePath.substring(storePath.lastIndexOf('/') + 1);
        int dash = base.indexOf('-');
        if (dash != HASH_LENGTH) {
            throw new IllegalArgumentException("bad hash part in reference candidate `" + storePath + "'");
        }
        return base.substring(0, dash);
    }

    /** The candidate paths seen so far, sorted. */
    public SortedSet<String> references() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(found));
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, data.length);
        if (len == 0 || pending.isEmpty()) {
            return;
        }
        if (tailLength > 0) {
            int head = Math.min(len, HASH_LENGTH - 1);
            byte[] seam = Arrays.copyOf(tail, tailLength + head);
            System.arraycopy(data, off, seam, tailLength, head);
            search(seam, 0, seam.length);
        }
        search(data, off, off + len);
        keepTail(data, off, len);
    }

    private void keepTail(byte[] data, int off, int len) {
        if (len >= tail.length) {
            System.arraycopy(data, off + len - tail.length, tail, 0, tail.length);
            tailLength = tail.length;
            return;
        }
        int keepOld = Math.min(tailLength, tail.length - len);
        System.arraycopy(tail, tailLength - keepOld, tail, 0, keepOld);
        System.arraycopy(data, off, tail, keepOld, len);
        tailLength = keepOld + len;
    }

    private void search(byte[] s, int start, int end) {
        int i = start;
        while (i + HASH_LENGTH <= end && !pending.isEmpty()) {
            int j = HASH_LENGTH - 1;
            while (j >= 0 && BASE32[s[i + j] & 0xff]) {
                j--;
            }
            if (j >= 0) {
                i += j + 1;
                continue;
            }
            String path = pending.remove(new String(s, i, HASH_LENGTH, StandardCharsets.ISO_8859_1));
            if (path != null) {
                found.add(path);
            }
            i++;
        }
    }
}
