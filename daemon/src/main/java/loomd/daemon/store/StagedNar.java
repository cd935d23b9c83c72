package loomd.daemon.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import loomd.daemon.store.fs.FileTrees;
import loomd.protocol.hash.Hash;

/**
 * A NAR received from a client, already restored under a temporary name in the store
 * ({@code tempName}, temp-rooted by the store) and hashed in the same pass: {@code narHash} is
 * the SHA-256 of the received bytes, {@code narSize} their count. Closing it removes whatever
 * is left of the temporary tree (after a successful add, nothing is).
 */
public final class StagedNar implements AutoCloseable {
    private final PathAdder.TempEntry temp;
    private final Path physical;
    private final NarCodec.Restored restored;
    private boolean closed;

    StagedNar(PathAdder.TempEntry temp, Path physical, NarCodec.Restored restored) {
        this.temp = temp;
        this.physical = physical;
        this.restored = restored;
    }

    NarCodec.Restored restored() {
        return restored;
    }

    public String tempName() {
        return temp.name();
    }

    public Path physical() {
        return physical;
    }

    public Hash narHash() {
        return restored.narHash();
    }

    public long narSize() {
        return restored.narSize();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            FileTrees.deleteRecursively(physical);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            temp.close();
        }
    }
}
