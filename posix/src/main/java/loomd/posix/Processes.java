package loomd.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;

import static loomd.posix.Libc.INT;

/** Process identity and signals. */
public final class Processes {
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;

    private static final Libc.Fn GETPID = Libc.plain("getpid", FunctionDescriptor.of(INT));
    private static final Libc.Fn GETUID = Libc.plain("getuid", FunctionDescriptor.of(INT));
    private static final Libc.Fn GETEUID = Libc.plain("geteuid", FunctionDescriptor.of(INT));
    private static final Libc.Fn GETGID = Libc.plain("getgid", FunctionDescriptor.of(INT));
    private static final Libc.Fn GETEGID = Libc.plain("getegid", FunctionDescriptor.of(INT));
    private static final Libc.Fn KILL = Libc.function("kill", FunctionDescriptor.of(INT, INT, INT));
    private static final Libc.Fn SETSID = Libc.function("setsid", FunctionDescriptor.of(INT));

    private Processes() {}

    public static int getpid() {
        return callInt(GETPID);
    }

    public static int getuid() {
        return callInt(GETUID);
    }

    public static int geteuid() {
        return callInt(GETEUID);
    }

    public static int getgid() {
        return callInt(GETGID);
    }

    public static int getegid() {
        return callInt(GETEGID);
    }

    /** kill(2); signal 0 only checks that {@code pid} exists and may be signalled. */
    public static void kill(int pid, int signal) throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            int r = (int) KILL.handle().invokeExact(err, pid, signal);
            if (r < 0) {
                throw new PosixException("kill", Libc.errno(err), "pid " + pid + ", signal " + signal);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * setsid(2): makes this process the leader of a new session and process group, away from the terminal's
     * signals (Ctrl-C) aimed at its parent's group. Returns the new session id.
     */
    public static int setsid() throws PosixException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoSegment(arena);
            int r = (int) SETSID.handle().invokeExact(err);
            if (r < 0) {
                throw new PosixException("setsid", Libc.errno(err));
            }
            return r;
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static int callInt(Libc.Fn handle) {
        try {
            return (int) handle.handle().invokeExact();
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
