package loomd.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

import static loomd.posix.Libc.INT;
import static loomd.posix.Libc.LONG;
import static loomd.posix.Libc.POINTER;
import static loomd.posix.Libc.SHORT;

/**
 * Whole-file Linux open-file-description locks (fcntl F_OFD_*). They belong to the open file
 * description, not the process: two descriptions in one process exclude each other, closing an
 * unrelated fd drops nothing, and they conflict both ways with classic POSIX locks of other
 * processes (lockf, F_SETLK). A lock lives until unlocked or until the last fd of its description closes.
 */
public final class OfdLocks {
    static final int F_OFD_GETLK = 36;
    static final int F_OFD_SETLK = 37;
    static final int F_OFD_SETLKW = 38;
    static final short F_UNLCK = 2;
    static final short SEEK_SET = 0;

    /** struct flock on 64-bit Linux: short type, short whence, pad, long start, long len, int pid, pad. */
    private static final long FLOCK_SIZE = 32;
    private static final long L_TYPE = 0;
    private static final long L_WHENCE = 2;
    private static final long L_START = 8;
    private static final long L_LEN = 16;
    private static final long L_PID = 24;

    private static final Libc.Fn FCNTL_PTR =
            Libc.variadic("fcntl", FunctionDescriptor.of(INT, INT, INT, POINTER), 2);

    private OfdLocks() {}

    /** Who holds a conflicting lock: {@code pid} is -1 for an OFD holder (whose process the kernel does not track). */
    public record Holder(int pid, LockKind kind) {
        public boolean isOfdHolder() {
            return pid == -1;
        }
    }

    /** Takes or converts the lock without waiting; false when another holder conflicts. */
    public static boolean tryLock(int fd, LockKind kind) throws PosixException {
        return setLock(F_OFD_SETLK, fd, kind.code, "fcntl(F_OFD_SETLK)");
    }

    /**
     * Takes or converts the lock, waiting as long as it takes. This blocks the calling OS thread in the
     * kernel, so it refuses to run on a virtual thread (it would freeze a carrier for the whole wait).
     */
    public static void lockWait(int fd, LockKind kind) throws PosixException {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("F_OFD_SETLKW must not run on a virtual thread");
        }
        setLock(F_OFD_SETLKW, fd, kind.code, "fcntl(F_OFD_SETLKW)");
    }

    public static void unlock(int fd) throws PosixException {
        setLock(F_OFD_SETLK, fd, F_UNLCK, "fcntl(F_OFD_SETLK, F_UNLCK)");
    }

    /** A holder that would conflict with taking {@code kind} through {@code fd}, if any. */
    public static Optional<Holder> query(int fd, LockKind kind) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment flock = flock(arena, kind.code);
            int r = (int) FCNTL_PTR.handle().invokeExact(err, fd, F_OFD_GETLK, flock);
            if (r < 0) {
                throw new PosixException("fcntl(F_OFD_GETLK)", Libc.errno(err), "fd " + fd);
            }
            short type = flock.get(SHORT, L_TYPE);
            if (type == F_UNLCK) {
                return Optional.empty();
            }
            return Optional.of(new Holder(flock.get(INT, L_PID), LockKind.ofCode(type)));
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static boolean setLock(int command, int fd, short type, String name) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            MemorySegment flock = flock(arena, type);
            while (true) {
                int r = (int) FCNTL_PTR.handle().invokeExact(err, fd, command, flock);
                if (r == 0) {
                    return true;
                }
                int errno = Libc.errno(err);
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (command == F_OFD_SETLK && (errno == Errno.EAGAIN || errno == Errno.EACCES)) {
                    return false;
                }
                throw new PosixException(name, errno, "fd " + fd);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static MemorySegment flock(Arena arena, short type) {
        MemorySegment flock = arena.allocate(FLOCK_SIZE, 8);
        flock.set(SHORT, L_TYPE, type);
        flock.set(SHORT, L_WHENCE, SEEK_SET);
        flock.set(LONG, L_START, 0L);
        flock.set(LONG, L_LEN, 0L);
        flock.set(INT, L_PID, 0);
        return flock;
    }
}
