package loomd.daemon.session;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * The client's data for {@code wopImportPaths}, pulled with STDERR_READ (upstream's
 * {@code TunnelSource}). It asks for {@link StderrChannel#READ_CHUNK} bytes only when its buffer
 * is empty and the reader wants more, so a reader that stops at the end of its stream never makes
 * the client answer a request it cannot (protocol.md §5).
 */
final class TunnelSource extends InputStream {
    private final StderrChannel channel;
    private final byte[] buffer = new byte[StderrChannel.READ_CHUNK];
    private int position;
    private int limit;

    TunnelSource(StderrChannel channel) {
        this.channel = channel;
    }

    @Override
    public int read() throws IOException {
        if (position == limit) {
            refill();
        }
        return buffer[position++] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, target.length);
        if (length == 0) {
            return 0;
        }
        if (position == limit) {
            refill();
        }
        int n = Math.min(length, limit - position);
        System.arraycopy(buffer, position, target, offset, n);
        position += n;
        return n;
    }

    @Override
    public int available() {
        return limit - position;
    }

    private void refill() throws IOException {
        limit = channel.read(buffer, 0, buffer.length);
        position = 0;
    }
}
