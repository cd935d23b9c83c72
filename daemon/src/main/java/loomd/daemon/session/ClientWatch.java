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
    }

    private final FileDescriptor fd;

    private ClientWatch(FileDescriptor fd) {
        this.fd = fd;
    }

    /** A watch on {@code channel}; a no-op watch when the JDK internals are unavailable. */
    public static ClientWatch of(SocketChannel channel) {
        if (POLL == null) {
            return new ClientWatch(null);
        }
        try {
            return new ClientWatch((FileDescriptor) GET_FD.invoke(channel));
        } catch (Throwable t) {
            return new ClientWatch(null);
        }
    }

    /** True if this watch can probe its socket (false: {@link #readable()} never says yes). */
    boolean probes() {
        return fd != null;
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
