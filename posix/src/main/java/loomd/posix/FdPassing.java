package loomd.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

import static loomd.posix.Libc.INT;
import static loomd.posix.Libc.LONG;
import static loomd.posix.Libc.POINTER;
import static loomd.posix.Libc.SHORT;

/**
 * Bytes plus file descriptors over a Unix stream socket (sendmsg/recvmsg with one SCM_RIGHTS message).
 *
 * <p>Both calls block in the kernel when the socket is a blocking one, so they are meant for the
 * platform threads that own a helper link (the daemon's locker and spawner links), never for virtual
 * threads. On a non-blocking socket {@link #send} waits in poll(2) instead, which blocks the same way.
 *
 * <p>On a stream socket the fds arrive together with the first byte of the chunk they were sent
 * with; a reader that frames messages should queue received fds in order and hand them to the
 * message that declares them.
 */
public final class FdPassing {
    /** The most fds one message may carry (the kernel's SCM_MAX_FD). */
    public static final int MAX_FDS = 253;

    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final short POLLOUT = 4;

    /** struct msghdr (56 bytes), struct iovec (16), struct cmsghdr header (16) on 64-bit Linux. */
    private static final long MSGHDR_SIZE = 56;
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_CONTROL = 32;
    private static final long MSG_CONTROLLEN = 40;
    private static final long MSG_FLAGS = 48;
    private static final long IOVEC_SIZE = 16;
    private static final long CMSG_HEADER = 16;

    private static final Libc.Fn SENDMSG =
            Libc.function("sendmsg", FunctionDescriptor.of(LONG, INT, POINTER, INT));
    private static final Libc.Fn RECVMSG =
            Libc.function("recvmsg", FunctionDescriptor.of(LONG, INT, POINTER, INT));
    private static final Libc.Fn POLL =
            Libc.function("poll", FunctionDescriptor.of(INT, POINTER, LONG, INT));

    private FdPassing() {}

    /** What one {@link #recv} got: {@code length} bytes (0 = end of stream) and the fds that came with them. */
    public record Received(int length, int[] fds) {
        public boolean endOfStream() {
            return length == 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Received r && r.length == length && Arrays.equals(r.fds, fds);
        }

        @Override
        public int hashCode() {
            return 31 * length + Arrays.hashCode(fds);
        }

        @Override
        public String toString() {
            return "Received[length=" + length + ", fds=" + Arrays.toString(fds) + "]";
        }
    }

    /**
     * Sends all of {@code data}; the fds ride on the first chunk. The caller keeps its own copies of the fds
     * (close them when the peer no longer needs them to travel). Data must be non-empty when fds are sent.
     */
    public static void send(int sockFd, byte[] data, int... fds) throws PosixException {
        Objects.requireNonNull(data, "data");
        if (fds.length > MAX_FDS) {
            throw new IllegalArgumentException("at most " + MAX_FDS + " fds per message");
        }
        if (fds.length > 0 && data.length == 0) {
            throw new IllegalArgumentException("fds need at least one byte of data to travel on a stream socket");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buffer, Libc.BYTE, 0, data.length);
            MemorySegment iov = arena.allocate(IOVEC_SIZE, 8);
            MemorySegment msg = arena.allocate(MSGHDR_SIZE, 8);
            MemorySegment control = fds.length == 0 ? MemorySegment.NULL : rightsMessage(arena, fds);
            long sent = 0;
            boolean first = true;
            while (first || sent < data.length) {
                msg.fill((byte) 0);
                iov.set(POINTER, 0, buffer.asSlice(sent));
                iov.set(LONG, 8, data.length - sent);
                msg.set(POINTER, MSG_IOV, iov);
                msg.set(LONG, MSG_IOVLEN, 1L);
                if (first) {
                    msg.set(POINTER, MSG_CONTROL, control);
                    msg.set(LONG, MSG_CONTROLLEN, control.byteSize());
                }
                long n = (long) SENDMSG.handle().invokeExact(err, sockFd, msg, MSG_NOSIGNAL);
                if (n >= 0) {
                    sent += n;
                    first = false;
                    continue;
                }
                int errno = Libc.errno(err);
                if (errno == Errno.EAGAIN) {
                    awaitWritable(sockFd);
                } else if (errno != Errno.EINTR) {
                    throw new PosixException("sendmsg", errno, "fd " + sockFd);
                }
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * One recvmsg into {@code buf}, accepting up to {@code maxFds} fds (received close-on-exec).
     * If the peer sent more fds than fit, the kernel drops the excess: this closes the ones that did
     * arrive and throws, since the stream can no longer be trusted.
     */
    public static Received recv(int sockFd, byte[] buf, int maxFds) throws IOException {
        return recv(sockFd, buf, 0, buf.length, maxFds);
    }

    public static Received recv(int sockFd, byte[] buf, int off, int len, int maxFds) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (maxFds < 0 || maxFds > MAX_FDS) {
            throw new IllegalArgumentException("maxFds must be within 0.." + MAX_FDS);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(Math.max(1, len));
            MemorySegment iov = arena.allocate(IOVEC_SIZE, 8);
            long controlSize = cmsgSpace(4L * Math.max(1, maxFds));
            MemorySegment control = arena.allocate(controlSize, 8);
            MemorySegment msg = arena.allocate(MSGHDR_SIZE, 8);
            while (true) {
                msg.fill((byte) 0);
                control.fill((byte) 0);
                iov.set(POINTER, 0, buffer);
                iov.set(LONG, 8, (long) len);
                msg.set(POINTER, MSG_IOV, iov);
                msg.set(LONG, MSG_IOVLEN, 1L);
                msg.set(POINTER, MSG_CONTROL, control);
                msg.set(LONG, MSG_CONTROLLEN, controlSize);
                long n = (long) RECVMSG.handle().invokeExact(err, sockFd, msg, MSG_CMSG_CLOEXEC);
                if (n < 0) {
                    int errno = Libc.errno(err);
                    if (errno == Errno.EINTR) {
                        continue;
                    }
                    throw new PosixException("recvmsg", errno, "fd " + sockFd);
                }
                int[] fds = receivedFds(control, msg.get(LONG, MSG_CONTROLLEN));
                if ((msg.get(INT, MSG_FLAGS) & MSG_CTRUNC) != 0 || fds.length > maxFds) {
                    for (int fd : fds) {
                        Fds.closeQuietly(fd);
                    }
                    throw new IOException("recvmsg on fd " + sockFd + ": the peer sent more file descriptors than the "
                            + maxFds + " expected (control data truncated); received ones were closed");
                }
                MemorySegment.copy(buffer, Libc.BYTE, 0, buf, off, (int) n);
                return new Received((int) n, fds);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static MemorySegment rightsMessage(Arena arena, int[] fds) {
        long dataLength = 4L * fds.length;
        MemorySegment control = arena.allocate(cmsgSpace(dataLength), 8);
        control.set(LONG, 0, CMSG_HEADER + dataLength);
        control.set(INT, 8, SOL_SOCKET);
        control.set(INT, 12, SCM_RIGHTS);
        for (int i = 0; i < fds.length; i++) {
            control.set(INT, CMSG_HEADER + 4L * i, fds[i]);
        }
        return control;
    }

    /** Walks every cmsg (CMSG_FIRSTHDR/CMSG_NXTHDR) and collects the SCM_RIGHTS fds. */
    private static int[] receivedFds(MemorySegment control, long controlLength) {
        int[] fds = new int[0];
        long offset = 0;
        while (offset + CMSG_HEADER <= controlLength) {
            long cmsgLength = control.get(LONG, offset);
            if (cmsgLength < CMSG_HEADER || offset + cmsgLength > controlLength) {
                break;
            }
            int level = control.get(INT, offset + 8);
            int type = control.get(INT, offset + 12);
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                int count = (int) ((cmsgLength - CMSG_HEADER) / 4);
                int start = fds.length;
                fds = Arrays.copyOf(fds, start + count);
                for (int i = 0; i < count; i++) {
                    fds[start + i] = control.get(INT, offset + CMSG_HEADER + 4L * i);
                }
            }
            offset += align8(cmsgLength);
        }
        return fds;
    }

    private static void awaitWritable(int fd) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment pollfd = arena.allocate(8, 4);
            pollfd.set(INT, 0, fd);
            pollfd.set(SHORT, 4, POLLOUT);
            int r = (int) POLL.handle().invokeExact(err, pollfd, 1L, -1);
            if (r < 0 && Libc.errno(err) != Errno.EINTR) {
                throw new PosixException("poll", Libc.errno(err), "fd " + fd);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static long cmsgSpace(long dataLength) {
        return CMSG_HEADER + align8(dataLength);
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }
}
