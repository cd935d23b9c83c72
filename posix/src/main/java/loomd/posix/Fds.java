package loomd.posix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.Channel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static loomd.posix.Libc.INT;
import static loomd.posix.Libc.LONG;
import static loomd.posix.Libc.POINTER;

/**
 * File descriptor calls the JDK lacks. Each throws {@link PosixException} on failure and retries
 * on EINTR where that is the right thing (never for close: Linux frees the fd even then).
 */
public final class Fds {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    /** Architecture-dependent: arm64 moved these two. */
    public static final int O_DIRECTORY = isArm64() ? 040000 : 0200000;
    public static final int O_NOFOLLOW = isArm64() ? 0100000 : 0400000;

    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    static final int F_GETFD = 1;
    static final int F_SETFD = 2;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int FD_CLOEXEC = 1;
    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 02000000;

    private static final Libc.Fn CLOSE = Libc.function("close", FunctionDescriptor.of(INT, INT));
    private static final Libc.Fn DUP = Libc.function("dup", FunctionDescriptor.of(INT, INT));
    private static final Libc.Fn DUP2 = Libc.function("dup2", FunctionDescriptor.of(INT, INT, INT));
    private static final Libc.Fn OPEN =
            Libc.variadic("open", FunctionDescriptor.of(INT, POINTER, INT, INT), 2);
    private static final Libc.Fn PIPE2 = Libc.function("pipe2", FunctionDescriptor.of(INT, POINTER, INT));
    private static final Libc.Fn SOCKETPAIR =
            Libc.function("socketpair", FunctionDescriptor.of(INT, INT, INT, INT, POINTER));
    private static final Libc.Fn FCNTL_INT =
            Libc.variadic("fcntl", FunctionDescriptor.of(INT, INT, INT, INT), 2);
    private static final Libc.Fn SHUTDOWN =
            Libc.function("shutdown", FunctionDescriptor.of(INT, INT, INT));
    private static final Libc.Fn READ =
            Libc.function("read", FunctionDescriptor.of(LONG, INT, POINTER, LONG));
    private static final Libc.Fn WRITE =
            Libc.function("write", FunctionDescriptor.of(LONG, INT, POINTER, LONG));
    private static final Libc.Fn FSTAT =
            Libc.function("fstat", FunctionDescriptor.of(INT, INT, POINTER));
    private static final Libc.Fn UNLINK = Libc.function("unlink", FunctionDescriptor.of(INT, POINTER));
    private static final Libc.Fn SYMLINK =
            Libc.function("symlink", FunctionDescriptor.of(INT, POINTER, POINTER));
    private static final Libc.Fn SYNCFS = Libc.function("syncfs", FunctionDescriptor.of(INT, INT));
    private static final Libc.Fn LINK = Libc.function("link", FunctionDescriptor.of(INT, POINTER, POINTER));
    private static final Libc.Fn RENAME = Libc.function("rename", FunctionDescriptor.of(INT, POINTER, POINTER));
    private static final Libc.Fn RENAMEAT2 =
            Libc.function("renameat2", FunctionDescriptor.of(INT, INT, POINTER, INT, POINTER, INT));
    private static final int AT_FDCWD = -100;
    private static final int RENAME_EXCHANGE = 2;

    /** struct stat: st_dev, st_ino and st_size sit at the same offsets on x86_64 and arm64. */
    private static final long STAT_SIZE = 256;
    private static final long ST_DEV = 0;
    private static final long ST_INO = 8;
    private static final long ST_SIZE = 48;

    private static final MethodHandle FD_VAL = channelFdHandle();

    private Fds() {}

    /** Identity and size of an open file, from fstat(2). */
    public record FileStat(long device, long inode, long size) {}

    /**
     * The fd behind a JDK socket or pipe channel (anything implementing {@code sun.nio.ch.SelChImpl}).
     * The channel still owns the fd: do not close it; dup it to keep it beyond the channel.
     */
    public static int fdOf(Channel channel) {
        if (FD_VAL == null) {
            throw new IllegalStateException(
                    "the JVM needs --add-exports java.base/sun.nio.ch=ALL-UNNAMED to read channel fds");
        }
        try {
            return (int) FD_VAL.invokeExact(channel);
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("not a socket or pipe channel: " + channel.getClass().getName(), e);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static void close(int fd) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            int r = (int) CLOSE.handle().invokeExact(err, fd);
            if (r < 0 && Libc.errno(err) != Errno.EINTR) {
                throw new PosixException("close", Libc.errno(err), "fd " + fd);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** Closes and ignores errors; for cleanup paths where the fd may already be gone. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                close(fd);
            } catch (PosixException ignored) {
                // cleanup only
            }
        }
    }

    /** A duplicate of {@code fd}; close-on-exec is set on the copy. */
    public static int dup(int fd) throws PosixException {
        int copy = intCall("dup", DUP, fd);
        setCloexec(copy, true);
        return copy;
    }

    /** Makes {@code to} refer to {@code from}'s file; {@code to} loses close-on-exec. */
    public static void dup2(int from, int to) throws PosixException {
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment err = Libc.errnoSegment(arena);
                int r = (int) DUP2.handle().invokeExact(err, from, to);
                if (r >= 0) {
                    return;
                }
                int errno = Libc.errno(err);
                if (errno != Errno.EINTR && errno != Errno.EBUSY) {
                    throw new PosixException("dup2", errno, from + " -> " + to);
                }
            } catch (PosixException e) {
                throw e;
            } catch (Throwable t) {
                throw Libc.rethrow(t);
            }
        }
    }

    public static int open(String path, int flags, int mode) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment cPath = arena.allocateFrom(path);
            while (true) {
                int fd = (int) OPEN.handle().invokeExact(err, cPath, flags, mode);
                if (fd >= 0) {
                    return fd;
                }
                if (Libc.errno(err) != Errno.EINTR) {
                    throw new PosixException("open", Libc.errno(err), path);
                }
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static void unlink(String path) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            int r = (int) UNLINK.handle().invokeExact(err, arena.allocateFrom(path));
            if (r < 0) {
                throw new PosixException("unlink", Libc.errno(err), path);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * link(2): a hard link {@code newPath} to {@code oldPath}; the errno tells deduplication what to do
     * ({@code EEXIST}, {@code EMLINK}, {@code ENOSPC}, {@code ENOENT}), which the JDK only gives as text.
     */
    public static void link(String oldPath, String newPath) throws PosixException {
        twoPaths("link", LINK, oldPath, newPath);
    }

    /** rename(2), with its errno (the JDK's move maps {@code EMLINK} to a bare message). */
    public static void rename(String oldPath, String newPath) throws PosixException {
        twoPaths("rename", RENAME, oldPath, newPath);
    }

    /**
     * renameat2(2) with {@code RENAME_EXCHANGE}: swaps the two names in one step, so that a reader (or a
     * crash) sees either tree at each name, never none; {@code EINVAL} where the file system lacks it.
     */
    public static void exchange(String a, String b) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            int r = (int) RENAMEAT2.handle().invokeExact(err, AT_FDCWD, arena.allocateFrom(a), AT_FDCWD, arena.allocateFrom(b),
                    RENAME_EXCHANGE);
            if (r < 0) {
                throw new PosixException("renameat2", Libc.errno(err), a + " <-> " + b);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static void twoPaths(String call, Libc.Fn fn, String a, String b) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            int r = (int) fn.handle().invokeExact(err, arena.allocateFrom(a), arena.allocateFrom(b));
            if (r < 0) {
                throw new PosixException(call, Libc.errno(err), a + " -> " + b);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * symlink(2): creates {@code linkPath} pointing at {@code target} exactly as given (UTF-8). The JDK's
     * {@code Files.createSymbolicLink} normalises the target ({@code a//b} becomes {@code a/b}, a trailing
     * {@code /} goes), which a NAR restore must not do.
     */
    public static void symlink(String target, String linkPath) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            int r = (int) SYMLINK.handle().invokeExact(err, arena.allocateFrom(target), arena.allocateFrom(linkPath));
            if (r < 0) {
                throw new PosixException("symlink", Libc.errno(err), linkPath + " -> " + target);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * syncfs(2): writes back everything dirty on the file system holding {@code fd}, in one call instead of one
     * fsync per file. Blocks for the whole flush (seconds on a busy disk), so it refuses to run on a
     * virtual thread: it would hold a carrier that long.
     */
    public static void syncfs(int fd) throws PosixException {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("syncfs must not run on a virtual thread");
        }
        intCall("syncfs", SYNCFS, fd);
    }

    /** A pipe, both ends close-on-exec: {@code [readEnd, writeEnd]}. */
    public static int[] pipe() throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment pair = arena.allocate(INT, 2);
            int r = (int) PIPE2.handle().invokeExact(err, pair, O_CLOEXEC);
            if (r < 0) {
                throw new PosixException("pipe2", Libc.errno(err));
            }
            return pair.toArray(INT);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** A connected pair of AF_UNIX stream sockets, both close-on-exec. */
    public static int[] socketpair() throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment pair = arena.allocate(INT, 2);
            int r = (int) SOCKETPAIR.handle().invokeExact(err, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
            if (r < 0) {
                throw new PosixException("socketpair", Libc.errno(err));
            }
            return pair.toArray(INT);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static void setCloexec(int fd, boolean on) throws PosixException {
        int flags = intCall("fcntl(F_GETFD)", FCNTL_INT, fd, F_GETFD, 0);
        int wanted = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        if (wanted != flags) {
            intCall("fcntl(F_SETFD)", FCNTL_INT, fd, F_SETFD, wanted);
        }
    }

    public static boolean isCloexec(int fd) throws PosixException {
        return (intCall("fcntl(F_GETFD)", FCNTL_INT, fd, F_GETFD, 0) & FD_CLOEXEC) != 0;
    }

    public static void setNonBlocking(int fd, boolean on) throws PosixException {
        int flags = intCall("fcntl(F_GETFL)", FCNTL_INT, fd, F_GETFL, 0);
        int wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (wanted != flags) {
            intCall("fcntl(F_SETFL)", FCNTL_INT, fd, F_SETFL, wanted);
        }
    }

    public static boolean isNonBlocking(int fd) throws PosixException {
        return (intCall("fcntl(F_GETFL)", FCNTL_INT, fd, F_GETFL, 0) & O_NONBLOCK) != 0;
    }

    /** shutdown(2): the way to wake a thread blocked reading a socket that another thread closes. */
    public static void shutdown(int fd, int how) throws PosixException {
        intCall("shutdown", SHUTDOWN, fd, how);
    }

    /**
     * One read(2) into {@code buf[off, off+len)}; returns 0 at end of file. Blocking: platform threads only
     * when {@code fd} is a blocking pipe or socket.
     */
    public static int read(int fd, byte[] buf, int off, int len) throws PosixException {
        java.util.Objects.checkFromIndexSize(off, len, buf.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment native_ = arena.allocate(Math.max(1, len));
            while (true) {
                long n = (long) READ.handle().invokeExact(err, fd, native_, (long) len);
                if (n >= 0) {
                    MemorySegment.copy(native_, Libc.BYTE, 0, buf, off, (int) n);
                    return (int) n;
                }
                if (Libc.errno(err) != Errno.EINTR) {
                    throw new PosixException("read", Libc.errno(err), "fd " + fd);
                }
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** Writes all of {@code data}, looping over partial writes. */
    public static void writeFully(int fd, byte[] data) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment native_ = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, native_, Libc.BYTE, 0, data.length);
            long done = 0;
            while (done < data.length) {
                long n = (long) WRITE.handle().invokeExact(err, fd, native_.asSlice(done), data.length - done);
                if (n >= 0) {
                    done += n;
                } else if (Libc.errno(err) != Errno.EINTR) {
                    throw new PosixException("write", Libc.errno(err), "fd " + fd);
                }
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static FileStat fstat(int fd) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment st = arena.allocate(STAT_SIZE, 8);
            int r = (int) FSTAT.handle().invokeExact(err, fd, st);
            if (r < 0) {
                throw new PosixException("fstat", Libc.errno(err), "fd " + fd);
            }
            return new FileStat(st.get(LONG, ST_DEV), st.get(LONG, ST_INO), st.get(LONG, ST_SIZE));
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** Open descriptors of this process (entries of /proc/self/fd, not counting the one used to list them). */
    public static int openFdCount() {
        int count = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path ignored : entries) {
                count++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count - 1;
    }

    static int intCall(String name, Libc.Fn handle, int a) throws PosixException {
        return retryingEintr(name, "fd " + a, err -> (int) handle.handle().invokeExact(err, a));
    }

    static int intCall(String name, Libc.Fn handle, int a, int b) throws PosixException {
        return retryingEintr(name, "fd " + a, err -> (int) handle.handle().invokeExact(err, a, b));
    }

    static int intCall(String name, Libc.Fn handle, int a, int b, int c) throws PosixException {
        return retryingEintr(name, "fd " + a, err -> (int) handle.handle().invokeExact(err, a, b, c));
    }

    /** One native call returning an int, given the errno capture segment. */
    @FunctionalInterface
    private interface IntCall {
        int call(MemorySegment errno) throws Throwable;
    }

    /** Runs {@code call} until it succeeds (result >= 0) or fails with an errno other than EINTR. */
    private static int retryingEintr(String name, String detail, IntCall call) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            while (true) {
                int r = call.call(err);
                if (r >= 0) {
                    return r;
                }
                if (Libc.errno(err) != Errno.EINTR) {
                    throw new PosixException(name, Libc.errno(err), detail);
                }
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static MethodHandle channelFdHandle() {
        try {
            Class<?> selChImpl = Class.forName("sun.nio.ch.SelChImpl");
            MethodHandle getter = MethodHandles.lookup()
                    .findVirtual(selChImpl, "getFDVal", MethodType.methodType(int.class));
            return getter.asType(MethodType.methodType(int.class, Channel.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static boolean isArm64() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("aarch64") || arch.equals("arm64");
    }
}
