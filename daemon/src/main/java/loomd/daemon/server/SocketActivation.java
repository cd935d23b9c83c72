package loomd.daemon.server;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import loomd.posix.Fds;

/**
 * systemd-style socket activation (daemon.md §3.1, platform.md §2/§6): when {@code LISTEN_PID}
 * is our pid and {@code LISTEN_FDS} = n, the listening sockets are fds 3..3+n-1.
 *
 * <p>The JDK adopts an inherited socket only from fd 0 ({@code System.inheritedChannel()}), and
 * that call caches its one answer and points fds 0, 1 and 2 at /dev/null (which would silence our
 * log on stderr). So for each activated fd we {@code dup2} it onto fd 0 and call the JDK's
 * internal {@code sun.nio.ch.InheritedChannel.createChannel()}, which duplicates fd 0 into a
 * channel of its own and detaches nothing; afterwards fd 0 is pointed back at /dev/null and the
 * original fds are closed. Runs once, on the main thread, before any other thread exists.
 */
public final class SocketActivation {
    private static final int FIRST_FD = 3;

    private SocketActivation() { }

    /** The activated fd count, or 0 when we are not socket-activated. */
    public static int count(Map<String, String> env, long ourPid) {
        String pid = env.get("LISTEN_PID");
        String fds = env.get("LISTEN_FDS");
        if (pid == null || fds == null || !pid.equals(Long.toString(ourPid)) || !fds.matches("[0-9]{1,4}")) {
            return 0;
        }
        return Integer.parseInt(fds);
    }

    public static List<Listener> adopt(int count) throws IOException {
        MethodHandle create = createChannelHandle();
        List<Listener> result = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                int fd = FIRST_FD + i;
                Fds.dup2(fd, 0);
                Channel channel = invoke(create);
                if (!(channel instanceof ServerSocketChannel server)) {
                    if (channel != null) {
                        channel.close();
                    }
                    throw new IOException("socket-activated fd " + fd + " is not a listening stream socket");
                }
                server.configureBlocking(true);
                boolean unix = server.getLocalAddress() instanceof UnixDomainSocketAddress;
                result.add(new Listener(server, unix, "activated fd " + fd + " (" + server.getLocalAddress() + ")", null));
            }
        } catch (IOException | RuntimeException e) {
            result.forEach(Listener::close);
            throw e;
        } finally {
            detachStdin();
        }
        for (int i = 0; i < count; i++) {
            Fds.closeQuietly(FIRST_FD + i);
        }
        return result;
    }

    private static void detachStdin() {
        try {
            int devNull = Fds.open("/dev/null", Fds.O_RDWR, 0);
            Fds.dup2(devNull, 0);
            Fds.closeQuietly(devNull);
        } catch (IOException ignored) {
            // stdin stays a duplicate of the last activated socket: harmless, we never read it
        }
    }

    private static MethodHandle createChannelHandle() throws IOException {
        try {
            Class<?> inherited = Class.forName("sun.nio.ch.InheritedChannel");
            return MethodHandles.privateLookupIn(inherited, MethodHandles.lookup())
                    .findStatic(inherited, "createChannel", MethodType.methodType(Channel.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("socket activation needs --add-opens java.base/sun.nio.ch=ALL-UNNAMED: " + e, e);
        }
    }

    private static Channel invoke(MethodHandle create) throws IOException {
        try {
            return (Channel) create.invoke();
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }
}
