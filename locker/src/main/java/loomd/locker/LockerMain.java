package loomd.locker;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;

import loomd.posix.FdPassing;
import loomd.posix.Fds;
import loomd.posix.PosixException;
import loomd.posix.Processes;

/**
 * The JVM locker, kept to compare with the native one ({@code loomd.locker=jvm}; the package documentation
 * says which runs): connects to the daemon's private socket (the only argument), then serves lock
 * requests until the daemon goes away. When the link ends, for whatever reason, it halts at once: the
 * kernel closes every lock fd and with them every lock, which is how the daemon's death releases all.
 */
public final class LockerMain {
    private final int link;
    private final LockService service = new LockService(this::reply);
    private final ArrayDeque<Integer> arrivedFds = new ArrayDeque<>();
    /** Replies made by the reader thread while it works through one read's requests; sent together after. */
    private final java.io.ByteArrayOutputStream batchedReplies = new java.io.ByteArrayOutputStream();
    private Thread reader;

    private LockerMain(int link) {
        this.link = link;
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: loomd.locker.LockerMain SOCKET");
            System.exit(2);
        }
        try {
            // Its own session: a Ctrl-C or SIGHUP meant for the daemon's process group must not take the locks
            // away before the daemon itself goes; the locker ends when its link does.
            Processes.setsid();
            SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(Path.of(args[0])));
            int link = Fds.fdOf(channel);
            Fds.setCloexec(link, true);
            new LockerMain(link).serve();
            Runtime.getRuntime().halt(0);
        } catch (IOException | RuntimeException e) {
            System.err.println("loomd-locker: " + e);
            Runtime.getRuntime().halt(1);
        }
    }

    /** Reads requests until end of stream; returns normally only at a clean end. */
    private void serve() throws IOException {
        reader = Thread.currentThread();
        Wire.Deframer frames = new Wire.Deframer();
        while (true) {
            byte[] buffer = frames.space(4096);
            int offset = frames.writeOffset();
            FdPassing.Received got = FdPassing.recv(link, buffer, offset, buffer.length - offset, FdPassing.MAX_FDS);
            for (int fd : got.fds()) {
                arrivedFds.add(fd);
            }
            if (got.endOfStream()) {
                return;
            }
            frames.wrote(got.length());
            for (byte[] body = frames.next(); body != null; body = frames.next()) {
                Wire.Request request = Wire.decodeRequest(body);
                int fd = -1;
                if (request instanceof Wire.Request.LockFd) {
                    Integer next = arrivedFds.poll();
                    if (next == null) {
                        throw new IOException("lock-fd request " + request.id() + " came without its fd");
                    }
                    fd = next;
                }
                service.handle(request, fd);
            }
            flushBatch();
        }
    }

    /**
     * Replies come from the reader and from waiter threads (all platform threads), one at a time. The
     * reader's replies wait for the end of its current batch of requests (one write for many replies).
     */
    private synchronized void reply(Wire.Reply reply) {
        byte[] frame = Wire.encode(reply);
        if (Thread.currentThread() == reader) {
            batchedReplies.writeBytes(frame);
        } else {
            write(frame);
        }
    }

    private synchronized void flushBatch() {
        if (batchedReplies.size() > 0) {
            write(batchedReplies.toByteArray());
            batchedReplies.reset();
        }
    }

    private void write(byte[] bytes) {
        try {
            FdPassing.send(link, bytes);
        } catch (PosixException e) {
            // The daemon is gone: nothing left to serve.
            Runtime.getRuntime().halt(0);
        }
    }
}
