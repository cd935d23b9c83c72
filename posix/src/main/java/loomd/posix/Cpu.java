package loomd.posix;

import java.lang.foreign.FunctionDescriptor;

import static loomd.posix.Libc.INT;

/**
 * Scheduler calls the JDK lacks: yielding the CPU from a virtual thread ({@code Thread.yield()}
 * there only yields to other virtual threads, never the carrier's CPU to another process), and a
 * background priority for one platform thread (Java's thread priorities are ignored on Linux).
 */
public final class Cpu {
    private static final Libc.Fn SCHED_YIELD = Libc.plain("sched_yield", FunctionDescriptor.of(INT));
    private static final Libc.Fn GETTID = Libc.plain("gettid", FunctionDescriptor.of(INT));
    private static final Libc.Fn GETPRIORITY = Libc.plain("getpriority", FunctionDescriptor.of(INT, INT, INT));
    private static final Libc.Fn SETPRIORITY = Libc.plain("setpriority", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final int PRIO_PROCESS = 0;

    private Cpu() {}

    /**
     * {@code sched_yield(2)}: lets any other runnable thread on this CPU go first. Returns at once
     * when there is none; never blocks, and cannot fail on Linux.
     */
    public static void yieldCpu() {
        try {
            int ignored = (int) SCHED_YIELD.handle().invokeExact();
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * Raises the nice value of the calling platform thread only, by {@code increment} (at most to
     * 19), relative to what it is now (a daemon started under {@code nice} stays below its own
     * threads): {@code setpriority(PRIO_PROCESS, gettid(), ...)}, as on Linux the nice value is per
     * thread. The scheduler then prefers the process's other threads when the CPUs are contended.
     * Best effort: false when refused. Never on a virtual thread: it would change its carrier.
     */
    public static boolean lowerThisThreadsPriority(int increment) {
        if (Thread.currentThread().isVirtual()) throw new IllegalStateException("lowerThisThreadsPriority on a virtual thread");
        try {
            int tid = (int) GETTID.handle().invokeExact();
            // glibc's getpriority returns the nice value itself (-20..19); -1 is also an error, never for oneself.
            int now = (int) GETPRIORITY.handle().invokeExact(PRIO_PROCESS, tid);
            return (int) SETPRIORITY.handle().invokeExact(PRIO_PROCESS, tid, Math.min(19, now + increment)) == 0;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
