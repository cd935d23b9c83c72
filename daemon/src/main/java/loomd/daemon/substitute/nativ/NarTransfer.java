package loomd.daemon.substitute.nativ;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.StagedNar;
import loomd.daemon.store.db.Registration;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/**
 * One NAR download (run on its own virtual thread): the body decompressed, restored under a temporary
 * name and hashed in one pass by the store's add path, checked against the narinfo's hash and size,
 * then installed and registered with the narinfo's references and deriver. A stream that ends early
 * or fails is a {@link Attempt.NetworkError} (another server may have it); one that expands past its
 * declared size, or hashes differently, is a {@link Attempt.Mismatch}. Nothing is left in the store
 * either way (the staged tree is removed when it is not installed).
 */
final class NarTransfer {
    /** How a download ended. */
    sealed interface Attempt {
        record Installed(long compressedBytes) implements Attempt { }

        record Mismatch(String status, String why) implements Attempt { }

        record NetworkError(String message) implements Attempt { }
    }

    /** Thrown when the decompressed stream goes past the narinfo's {@code NarSize}. */
    static final class TooLarge extends IOException {
        TooLarge(long limit) {
            super("NAR expands past its declared size of " + limit + " bytes");
        }
    }

    private final CacheClient client;
    private final LocalStore store;
    private final String storeDir;

    NarTransfer(CacheClient client, LocalStore store, String storeDir) {
        this.client = client;
        this.store = store;
        this.storeDir = storeDir;
    }

    /**
     * Downloads {@code n}'s NAR; {@code progress} counts compressed bytes; {@code installing} is run
     * before install; {@code repair} replaces the valid path instead of adding it.
     */
    Attempt run(Narinfo n, AtomicLong progress, Runnable installing, boolean repair) throws InterruptedException {
        Hash expected;
        try {
            if (!n.narHash().startsWith("sha256:")) throw new IllegalArgumentException(n.narHash());
            expected = Hash.parse(HashAlgorithm.SHA256, n.narHash().substring(7));
        } catch (RuntimeException e) {
            return new Attempt.Mismatch("invalid-narinfo", "invalid narinfo hash: " + n.narHash());
        }
        StagedNar staged;
        try (CacheClient.Response r = client.get(n.narUri(), CacheClient.Kind.NAR)) {
            if (r.status() != 200) {
                return new Attempt.NetworkError("download from '" + n.narUri() + "' failed: " + r.status());
            }
            InputStream nar = new Limited(Decompression.open(n.compression(), new Counting(r.body(), progress)),
                    n.narSize());
            try {
                staged = store.adds().stageNar(nar);
            } catch (IOException | RuntimeException e) {
                if (!tooLarge(e)) throw e;
                return new Attempt.Mismatch("hash-mismatch sha256 " + expected.toNixBase32() + " -",
                        new TooLarge(n.narSize()).getMessage());
            }
        } catch (IOException | RuntimeException e) {
            return failure(n, e);
        }
        // The response is closed here: its server permit goes to the next download, not held through
        // the install (the path lock and the database writer's queue).
        return install(n, staged, expected, progress, installing, repair);
    }

    private Attempt install(Narinfo n, StagedNar staged, Hash expected, AtomicLong progress, Runnable installing,
            boolean repair) throws InterruptedException {
        try (staged) {
            if (!staged.narHash().equals(expected) || staged.narSize() != n.narSize()) {
                return new Attempt.Mismatch("hash-mismatch sha256 " + expected.toNixBase32() + " "
                        + staged.narHash().toNixBase32(), "got " + staged.narSize() + " bytes hashing to "
                        + staged.narHash().toNixBase32() + ", narinfo says " + n.narSize() + " and " + n.narHash());
            }
            installing.run();
            if (repair) {
                store.adds().replaceStaged(staged, registration(n, staged));
            } else {
                store.adds().installStaged(staged, registration(n, staged));
            }
            return new Attempt.Installed(progress.get());
        } catch (IOException | RuntimeException e) {
            return failure(n, e);
        }
    }

    private static Attempt failure(Narinfo n, Exception e) throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) throw new InterruptedException("download aborted");
        return new Attempt.NetworkError("download from '" + n.narUri() + "' failed: " + e);
    }

    private static boolean tooLarge(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TooLarge) return true;
        }
        return false;
    }

    private Registration registration(Narinfo n, StagedNar staged) {
        TreeSet<String> refs = new TreeSet<>();
        for (String r : n.references()) refs.add(storeDir + "/" + r);
        String deriver = n.deriver().isEmpty() ? "" : storeDir + "/" + n.deriver();
        return Registration.of(n.storePath(), staged.narHash().toBase16(), staged.narSize(), refs, deriver);
    }

    /** Counts the bytes read (download progress, the silence timeout). */
    private static final class Counting extends FilterInputStream {
        private final AtomicLong count;

        Counting(InputStream in, AtomicLong count) {
            super(in);
            this.count = count;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) count.incrementAndGet();
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) count.addAndGet(n);
            return n;
        }
    }

    /** At most {@code limit} bytes; reading more is a {@link TooLarge} (a NAR bomb). */
    private static final class Limited extends FilterInputStream {
        private final long limit;
        private long seen;

        Limited(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0 && ++seen > limit) throw new TooLarge(limit);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, (int) Math.min(len, Math.max(1, limit - seen + 1)));
            if (n > 0 && (seen += n) > limit) throw new TooLarge(limit);
            return n;
        }
    }
}
