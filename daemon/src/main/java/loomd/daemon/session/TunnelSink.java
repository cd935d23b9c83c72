package loomd.daemon.session;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Export data for the client, as STDERR_WRITE frames of exactly 64 KiB but the last (upstream's
 * {@code TunnelSink}, a 64 KiB BufferedSink). {@link #flush()} from the store's code does nothing,
 * as upstream's store never flushes that sink: frame boundaries are visible on the wire, and the
 * transcripts have one frame per item below 64 KiB. The session calls {@link #finish()} before it
 * reports success or an error, so no data is lost ahead of a STDERR_ERROR.
 */
final class TunnelSink extends OutputStream {
    static final int FRAME = 64 * 1024;

    private final StderrChannel channel;
    private final byte[] buffer = new byte[FRAME];
    private int position;

    TunnelSink(StderrChannel channel) {
        this.channel = channel;
    }

    @Override
    public void write(int b) throws IOException {
        if (position == buffer.length) {
            sendBuffered();
        }
        buffer[position++] = (byte) b;
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.length);
        while (length > 0) {
            if (position == buffer.length) {
                sendBuffered();
            }
            int n = Math.min(length, buffer.length - position);
            System.arraycopy(data, offset, buffer, position, n);
            position += n;
            offset += n;
            length -= n;
        }
    }

    /** Sends the buffered bytes as one frame, without flushing the socket. */
    private void sendBuffered() throws IOException {
        if (position > 0) {
            channel.write(buffer, 0, position);
            position = 0;
            channel.checkClient();
        }
    }

    /** Deliberately nothing: see the class comment. */
    @Override
    public void flush() {
    }

    /** Sends what is buffered and flushes the socket. */
    void finish() throws IOException {
        sendBuffered();
        channel.flush();
    }
}
