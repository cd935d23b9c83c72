package loomd.posix;

import static loomd.posix.Libc.INT;
import static loomd.posix.Libc.LONG;
import static loomd.posix.Libc.POINTER;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;

/**
 * A new regular file written with its final metadata through the one descriptor that creates it:
 * {@code open(O_CREAT|O_EXCL)}, {@code write}, {@code fchmod}, {@code futimens}, {@code close}. A
 * store item made of one small file (a text added to the store) thus costs one path lookup in the
 * store's (huge) directory instead of four, and no attribute read. Returns at once: safe anywhere.
 */
public final class NewFiles {
    private static final Libc.Fn FCHMOD = Libc.function("fchmod", FunctionDescriptor.of(INT, INT, INT));
    private static final Libc.Fn FUTIMENS =
            Libc.function("futimens", FunctionDescriptor.of(INT, INT, POINTER));
    /** tv_nsec value telling utimensat(2) to leave that time alone. */
    private static final long UTIME_OMIT = (1L << 30) - 2;

    private NewFiles() {}

    /**
     * Creates {@code path} (failing with EEXIST if anything, a symbolic link included, is there),
     * writes {@code data}, then sets mode {@code mode} (whatever the umask took away) and the
     * modification time {@code mtimeSeconds}, leaving the access time as it is. On failure after the
     * create the partial file stays: the caller removes it.
     */
    public static void create(String path, byte[] data, int mode, long mtimeSeconds) throws PosixException {
        int fd = Fds.open(path, Fds.O_WRONLY | Fds.O_CREAT | Fds.O_EXCL | Fds.O_NOFOLLOW | Fds.O_CLOEXEC, mode);
        try {
            Fds.writeFully(fd, data);
            Fds.intCall("fchmod", FCHMOD, fd, mode);
            setModificationTime(fd, mtimeSeconds);
        } finally {
            Fds.close(fd);
        }
    }

    private static void setModificationTime(int fd, long mtimeSeconds) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            // struct timespec[2]: access time (omitted), modification time.
            MemorySegment times = arena.allocate(LONG, 4);
            times.setAtIndex(LONG, 0, 0);
            times.setAtIndex(LONG, 1, UTIME_OMIT);
            times.setAtIndex(LONG, 2, mtimeSeconds);
            times.setAtIndex(LONG, 3, 0);
            int r = (int) FUTIMENS.handle().invokeExact(err, fd, times);
            if (r < 0) throw new PosixException("futimens", Libc.errno(err), "fd " + fd);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
