package loomd.daemon.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

import loomd.protocol.wire.WireLimits;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * A {@link WireReader}/{@link WireWriter} pair (64 KiB of buffers each) lent to a session for one
 * operation and then returned, so that idle connections hold no buffers: 10,000 idle clients
 * would otherwise pin 1.25 GiB. The pair reads and writes through rebindable streams.
 *
 * <p>Thread-safety: a pair is used by one session's thread between {@link Pool#borrow} and
 * {@link Pool#release}; the pool itself is a lock-free deque.
 */
final class WireBuffers {
    private final Rebindable in = new Rebindable();
    private final RebindableOut out = new RebindableOut();
    final WireReader reader;
    final WireWriter writer;
    /**
     * Set by the session only right after a successful flush: a writer whose flush failed (the
     * client vanished) may still hold bytes, which must never reach the next borrower.
     */
    boolean flushed;

    private WireBuffers(WireLimits limits) {
        this.reader = new WireReader(in, limits);
        this.writer = new WireWriter(out);
    }

    /** Reusable: flushed after its last write, and nothing received is left unread. */
    boolean reusable() {
        return flushed && drained();
    }

    /** True if no received byte is waiting in the reader's buffer (a well-behaved client). */
    boolean drained() {
        return reader.bufferedByteCount() == 0;
    }

    /** Idle pairs kept for reuse, at most {@code maxIdle}; more are left to the garbage collector. */
    static final class Pool {
        private final ConcurrentLinkedDeque<WireBuffers> idle = new ConcurrentLinkedDeque<>();
        private final AtomicInteger idleCount = new AtomicInteger();
        private final WireLimits limits;
        private final int maxIdle;

        Pool(WireLimits limits, int maxIdle) {
            this.limits = limits;
            this.maxIdle = maxIdle;
        }

        WireBuffers borrow(InputStream from, OutputStream to) {
            WireBuffers b = idle.pollFirst();
            if (b == null) {
                b = new WireBuffers(limits);
            } else {
                idleCount.decrementAndGet();
            }
            b.in.target = from;
            b.out.target = to;
            b.flushed = false;
            return b;
        }

        java.util.List<WireBuffers> idleSnapshot() {
            return java.util.List.copyOf(idle);
        }

        /** Takes back a pair if {@link #reusable()}; otherwise leaves it to the garbage collector. */
        void release(WireBuffers b) {
            if (!b.reusable()) {
                return;
            }
            b.in.target = null;
            b.out.target = null;
            if (idleCount.incrementAndGet() <= maxIdle) {
                idle.offerFirst(b);
            } else {
                idleCount.decrementAndGet();
            }
        }
    }

    private static final class Rebindable extends InputStream {
        InputStream target;

        @Override
        public int read() throws IOException {
            return target.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return target.read(b, off, len);
        }
    }

    private static final class RebindableOut extends OutputStream {
        OutputStream target;

        @Override
        public void write(int b) throws IOException {
            target.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            target.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            target.flush();
        }
    }
}
