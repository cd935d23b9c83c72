package loomd.daemon.session;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.SocketChannel;

/**
 * Notices a client that hung up while its operation works (protocol.md §7.3, upstream's
 * {@code isFarSideClosed}).
 *
 * <p>During a work phase the client must be silent, so a readable socket means the client closed
 * it (EOF, with POLLHUP on a Unix socket) or broke the protocol; either way the operation is
 * abandoned. The probe is the JDK's own zero-timeout {@code poll(2)} ({@code sun.nio.ch.Net.poll},
 * reachable through the {@code --add-opens java.base/sun.nio.ch} the daemon runs with): it never
 * blocks, consumes nothing, and does not touch the channel's blocking mode, so it is safe from
 * any thread while the session's thread writes. If the JDK internals are missing, {@link #gone()}
 * is always false and hang-ups are noticed on the next read or write instead, as upstream does on
 * platforms without SIGPOLL.
 */
public final class ClientWatch {
    private static final MethodHandle POLL;
    private static final MethodHandle GET_FD;
    private static final int POLLIN;
    /** {@code sun.nio.ch.Poller.poll(fdVal, event, nanos, isOpen)}: parks a thread until the fd is ready. */
    private static final MethodHandle PARK_UNTIL_READY;
    private static final MethodHandle GET_FD_VAL;

    static {
        MethodHandle poll = null;
        MethodHandle getFd = null;
        int pollin = 1;
        try {
            Class<?> net = Class.forName("sun.nio.ch.Net");
            Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(net, MethodHandles.lookup());
            poll = lookup.findStatic(net, "poll",
                    MethodType.methodType(int.class, FileDescriptor.class, int.class, long.class));
            getFd = MethodHandles.lookup().findVirtual(selCh, "getFD", MethodType.methodType(FileDescriptor.class));
            pollin = (short) lookup.findStaticGetter(net, "POLLIN", short.class).invoke();
        } catch (Throwable t) {
            poll = null;
            getFd = null;
        }
        POLL = poll;
        GET_FD = getFd;
        POLLIN = pollin;
        MethodHandle park = null;
        MethodHandle getFdVal = null;
        try {
            Class<?> poller = Class.forName("sun.nio.ch.Poller");
            park = MethodHandles.privateLookupIn(poller, MethodHandles.lookup()).findStatic(poller, "poll",
                    MethodType.methodType(void.class, int.class, int.class, long.class, java.util.function.BooleanSupplier.class));
            getFdVal = MethodHandles.lookup().findVirtual(Class.forName("sun.nio.ch.SelChImpl"), "getFDVal",
                    MethodType.methodType(int.class));
        } catch (Throwable t) {
            park = null;
            getFdVal = null;
        }
        PARK_UNTIL_READY = poll == null ? null : park;
        GET_FD_VAL = getFdVal;
    }

    private final FileDescriptor fd;
    private final int fdVal;

    private ClientWatch(FileDescriptor fd) {
        this(fd, -1);
    }

    private ClientWatch(FileDescriptor fd, int fdVal) {
        this.fd = fd;
        this.fdVal = fdVal;
    }

    /** A watch on {@code channel}; a no-op watch when the JDK internals are unavailable. */
    public static ClientWatch of(SocketChannel channel) {
        if (POLL == null) {
            return new ClientWatch(null);
        }
        try {
            int val = GET_FD_VAL == null ? -1 : (int) GET_FD_VAL.invoke(channel);
            return new ClientWatch((FileDescriptor) GET_FD.invoke(channel), val);
        } catch (Throwable t) {
            return new ClientWatch(null);
        }
    }

    /** True if this watch can probe its socket (false: {@link #readable()} never says yes). */
    boolean probes() {
        return fd != null;
    }

    /** True if {@link #parkUntilReadable} can wait for the socket (else a caller must probe now and then). */
    boolean parks() {
        return fd != null && fdVal >= 0 && PARK_UNTIL_READY != null;
    }

    /**
     * Parks the calling virtual thread in the JDK's poller until the socket is readable (the same
     * wait a blocking read does, without consuming anything), {@code keepWaiting} turns false, or the
     * thread is unparked. May return spuriously: the caller checks {@link #readable()}. Only for a
     * thread that is the only one waiting to read this socket (the poller keeps one waiter per fd),
     * so only while the session's own thread does not read, during a work phase.
     */
    void parkUntilReadable(java.util.function.BooleanSupplier keepWaiting) throws java.io.IOException {
        try {
            PARK_UNTIL_READY.invoke(fdVal, POLLIN, 0L, keepWaiting);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new java.io.IOException(t);
        }
    }

    /** True if the probe works on this JVM. */
    public static boolean available() {
        return POLL != null;
    }

    /** True if the client's socket is readable now (hang-up, or data it should not have sent). */
    public boolean gone() {
        return readable();
    }

    /**
     * True if a read would not block now: data, end of stream, or a closed channel (whose read
     * then fails at once). Outside a work phase that is the next request arriving.
     */
    public boolean readable() {
        if (fd == null || !fd.valid()) {
            return fd != null;
        }
        try {
            return ((int) POLL.invoke(fd, POLLIN, 0L) & ~0) != 0;
        } catch (Throwable t) {
            return true;
        }
    }
}
