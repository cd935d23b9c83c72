package loomd.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.channels.SocketChannel;

import static loomd.posix.Libc.INT;
import static loomd.posix.Libc.POINTER;

/** The process at the other end of a connected Unix socket, as the kernel recorded it at connect time. */
public record PeerCredentials(int pid, int uid, int gid) {
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final int UCRED_SIZE = 12;
    private static final Libc.Fn GETSOCKOPT = Libc.function("getsockopt",
            FunctionDescriptor.of(INT, INT, INT, INT, POINTER, POINTER));

    public static PeerCredentials of(SocketChannel channel) throws PosixException {
        return of(Fds.fdOf(channel));
    }

    public static PeerCredentials of(int socketFd) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment ucred = arena.allocate(UCRED_SIZE, 4);
            MemorySegment length = arena.allocateFrom(INT, UCRED_SIZE);
            int r = (int) GETSOCKOPT.handle().invokeExact(err, socketFd, SOL_SOCKET, SO_PEERCRED, ucred, length);
            if (r < 0) {
                throw new PosixException("getsockopt(SO_PEERCRED)", Libc.errno(err), "fd " + socketFd);
            }
            return new PeerCredentials(ucred.get(INT, 0), ucred.get(INT, 4), ucred.get(INT, 8));
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
