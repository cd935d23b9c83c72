package loomd.posix;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import static loomd.posix.Libc.INT;

/**
 * Scheduler calls the JDK lacks: yielding the CPU from a virtual thread ({@code Thread.yield()}
 * there only yields to other virtual threads, never the carrier's CPU to another process), and a
 * background priority for one platform thread (Java's thread priorities are ignored on Linux).
 */
public final class Cpu {
    private static final MethodHandle SCHED_YIELD = Libc.plain("sched_yield", FunctionDescriptor.of(INT));
    private static final MethodHandle GETTID = Libc.plain("gettid", FunctionDescriptor.of(INT));
    private static final MethodHandle SETPRIORITY = Libc.plain("setpriority", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final int PRIO_PROCESS = 0;

    private Cpu() {}

    /**
     * {@code sched_yield(2)}: lets any other runnable thread on this CPU go first. Returns at once
     * when there is none; never blocks, and cannot fail on Linux.
     */
    public static void yieldCpu() {
        try {
            int ignored = (int) SCHED_YIELD.invokeExact();
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * Sets the nice value of the calling platform thread only ({@code setpriority(PRIO_PROCESS,
     * gettid(), nice)}: on Linux the nice value is per thread), so that the scheduler prefers the
     * process's other threads when the CPUs are contended. Best effort: false when refused (a lower
     * value than now needs privileges). Never on a virtual thread: it would change its carrier.
     */
    public static boolean niceThisThread(int nice) {
        if (Thread.currentThread().isVirtual()) throw new IllegalStateException("niceThisThread on a virtual thread");
        try {
            int tid = (int) GETTID.invokeExact();
            return (int) SETPRIORITY.invokeExact(PRIO_PROCESS, tid, nice) == 0;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
