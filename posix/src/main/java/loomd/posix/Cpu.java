package loomd.posix;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import static loomd.posix.Libc.INT;

/**
 * The scheduler call the JDK lacks on a virtual thread: {@code Thread.yield()} there only yields
 * to other virtual threads, never the carrier's CPU to another process.
 */
public final class Cpu {
    private static final MethodHandle SCHED_YIELD = Libc.plain("sched_yield", FunctionDescriptor.of(INT));

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
}
