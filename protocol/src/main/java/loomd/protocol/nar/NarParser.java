package loomd.protocol.nar;

import static loomd.protocol.nar.NarTokens.show;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/**
 * Parses one canonical NAR (formats.md §2) from a stream and reports its nodes to a
 * {@link NarVisitor}. Iterative, with an explicit stack bounded by {@link NarLimits#maxDepth()},
 * so deep nesting fails with {@link NarException}, never with a stack overflow.
 *
 * <p>Only the canonical form is accepted, so that re-serialising the result gives the same bytes
 * and the same hash: the {@code executable} marker must come before {@code contents} and carry
 * an empty value, every regular node has {@code contents}, entries are strictly sorted by bytes
 * (upstream intends this but its check is ineffective: formats.md §2.7), and symlink targets are
 * non-empty without NUL. Reads never go past the NAR's last byte.
 */
public final class NarParser {
    private static final int CHUNK = 256 << 10;

    private final NarOptions options;
    private final NarLimits limits;
    private final NarInput input;
    private final NarVisitor visitor;
    private final List<byte[]> lastNameInDirectory = new ArrayList<>();
    private byte[] chunk;
    private long entries;
    private NarNodeType rootType;
    private boolean rootExecutable;
    private Hash contentsHash;

    private NarParser(InputStream in, NarVisitor visitor, NarOptions options) {
        this.options = options;
        this.limits = options.limits();
        this.input = new NarInput(in, options.extraNarAlgorithm(), options.tee());
        this.visitor = visitor;
    }

    /** Parses one NAR from {@code in}, which should be buffered; consumes exactly its bytes. */
    public static NarSummary parse(InputStream in, NarVisitor visitor, NarOptions options) throws IOException {
        return new NarParser(in, visitor, options).run();
    }

    private NarSummary run() throws IOException {
        byte[] magic = input.readToken(NarTokens.MAX_KEYWORD_LENGTH + 64, "archive header");
        if (!Arrays.equals(magic, NarTokens.MAGIC)) {
            throw new NarException("bad archive: input doesn't look like a normalized archive");
        }
        byte[] name = null;
        outer:
        while (true) {
            boolean finished = parseNode(name);
            while (true) {
                if (finished) {
                    if (lastNameInDirectory.isEmpty()) {
                        break outer;
                    }
                    expect(NarTokens.CLOSE, "end of directory entry");
                }
                byte[] token = keyword("directory field");
                if (Arrays.equals(token, NarTokens.CLOSE)) {
                    visitor.endDirectory();
                    lastNameInDirectory.removeLast();
                    finished = true;
                } else if (Arrays.equals(token, NarTokens.ENTRY)) {
                    name = parseEntryHeader();
                    continue outer;
                } else {
                    throw unknownField(token);
                }
            }
        }
        return summary();
    }

    /** Parses a node up to its end, or for a directory up to its first field; true if it ended. */
    private boolean parseNode(byte[] name) throws IOException {
        expect(NarTokens.OPEN, "node start");
        expect(NarTokens.TYPE, "node type");
        if (++entries > limits.maxEntries()) {
            throw new NarException("bad archive: more than " + limits.maxEntries() + " entries");
        }
        byte[] type = keyword("file type");
        if (Arrays.equals(type, NarTokens.REGULAR)) {
            parseRegular(name);
            return true;
        } else if (Arrays.equals(type, NarTokens.SYMLINK)) {
            parseSymlink(name);
            return true;
        } else if (Arrays.equals(type, NarTokens.DIRECTORY)) {
            if (lastNameInDirectory.size() > limits.maxDepth()) {
                throw new NarException("bad archive: directories nested deeper than " + limits.maxDepth() + " levels");
            }
            noteRoot(NarNodeType.DIRECTORY, false);
            visitor.directory(name);
            lastNameInDirectory.add(null);
            return false;
        }
        throw new NarException("bad archive: unknown file type " + show(type));
    }

    private void parseRegular(byte[] name) throws IOException {
        byte[] field = keyword("regular file field");
        boolean executable = false;
        if (Arrays.equals(field, NarTokens.EXECUTABLE)) {
            if (input.readToken(NarTokens.MAX_KEYWORD_LENGTH, "executable marker value").length != 0) {
                throw new NarException("bad archive: the executable marker must have an empty value");
            }
            executable = true;
            field = keyword("regular file field");
        }
        if (!Arrays.equals(field, NarTokens.CONTENTS)) {
            throw unknownField(field);
        }
        long size = input.readU64("file contents");
        if (size > limits.maxFileSize()) {
            throw new NarException("bad archive: file of " + size + " bytes is above the limit of " + limits.maxFileSize());
        }
        boolean root = lastNameInDirectory.isEmpty();
        noteRoot(NarNodeType.REGULAR, executable);
        MessageDigest contents = root && options.contentsAlgorithm() != null ? options.contentsAlgorithm().newDigest() : null;
        NarVisitor.ContentSink sink = visitor.regularFile(name, executable, size);
        copyContents(size, sink, contents);
        sink.close();
        input.readPadding(size);
        if (contents != null) {
            contentsHash = Hash.finish(options.contentsAlgorithm(), contents);
        }
        expect(NarTokens.CLOSE, "end of regular file");
    }

    private void copyContents(long size, NarVisitor.ContentSink sink, MessageDigest contents) throws IOException {
        if (size > 0 && chunk == null) {
            chunk = new byte[CHUNK];
        }
        long left = size;
        while (left > 0) {
            int n = input.readSome(chunk, 0, (int) Math.min(chunk.length, left), "file contents");
            if (contents != null) {
                contents.update(chunk, 0, n);
            }
            sink.write(chunk, 0, n);
            left -= n;
        }
    }

    private void parseSymlink(byte[] name) throws IOException {
        expect(NarTokens.TARGET, "symlink target");
        byte[] target = input.readToken(limits.maxTargetLength(), "symlink target");
        if (target.length == 0 || indexOf(target, (byte) 0) >= 0) {
            throw new NarException("bad archive: symlink target is empty or contains NUL");
        }
        expect(NarTokens.CLOSE, "end of symlink");
        noteRoot(NarNodeType.SYMLINK, false);
        visitor.symlink(name, target);
    }

    private byte[] parseEntryHeader() throws IOException {
        expect(NarTokens.OPEN, "entry start");
        expect(NarTokens.NAME, "entry name");
        byte[] name = input.readToken(limits.maxNameLength(), "entry name");
        if (name.length == 0 || Arrays.equals(name, new byte[] {'.'}) || Arrays.equals(name, new byte[] {'.', '.'})
                || indexOf(name, (byte) '/') >= 0 || indexOf(name, (byte) 0) >= 0) {
            throw new NarException("NAR contains invalid file name `" + show(name) + "'");
        }
        byte[] previous = lastNameInDirectory.getLast();
        if (previous != null && Arrays.compareUnsigned(previous, name) >= 0) {
            throw new NarException("NAR directory is not sorted (`" + show(name) + "' after `" + show(previous) + "')");
        }
        lastNameInDirectory.set(lastNameInDirectory.size() - 1, name);
        expect(NarTokens.NODE, "entry node");
        return name;
    }

    private void noteRoot(NarNodeType type, boolean executable) {
        if (rootType == null) {
            rootType = type;
            rootExecutable = executable;
        }
    }

    private NarSummary summary() {
        NarResult nar = new NarResult(Hash.finish(HashAlgorithm.SHA256, input.sha256()), input.size());
        Optional<Hash> extra = options.extraNarAlgorithm() == null ? Optional.empty()
                : Optional.of(Hash.finish(options.extraNarAlgorithm(), input.extra()));
        return new NarSummary(nar, rootType, rootExecutable, extra, Optional.ofNullable(contentsHash));
    }

    private byte[] keyword(String what) throws IOException {
        return input.readToken(NarTokens.MAX_KEYWORD_LENGTH, what);
    }

    private void expect(byte[] expected, String what) throws IOException {
        byte[] token = keyword(what);
        if (!Arrays.equals(token, expected)) {
            throw new NarException("bad archive: expected `" + show(expected) + "' (" + what + ") but got `" + show(token) + "'");
        }
    }

    private static NarException unknownField(byte[] token) {
        return new NarException("bad archive: unknown field " + show(token));
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
