package loomd.daemon.store.db;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

import loomd.posix.Cpu;

/**
 * A short, bounded wait on the caller's carrier for its write's commit, before it parks on the
 * future.
 *
 * <p>Why: a virtual thread parked on the writer's future is woken by the writer thread, which hands
 * it to the scheduler, which wakes a carrier; meanwhile that carrier, left without work, parked
 * itself. On a busy machine each of those wake-ups may wait for a CPU, and with one client they
 * were about a quarter of an add's samples. A lone write commits in about a hundred microseconds:
 * watching the future that long finds it done with no thread switch (completing a future nobody
 * waits on unparks nothing).
 *
 * <p>Cost bounds: each round is {@code sched_yield(2)}, so the writer thread (or any other runnable
 * thread on this CPU) goes first; the caller spins only while it is the only one waiting for a
 * commit (with more, the writer is busy with a group and the carrier has other sessions to run),
 * and at most {@code -Dloomd.commitSpinMicros} (default {@value #DEFAULT_MICROS}; 0 turns spinning
 * off). Nothing blocks: it never waits for more than the window, then parks as before.
 */
final class CommitSpin {
    static final int DEFAULT_MICROS = 250;
    static final long WINDOW_NANOS = Math.max(0, Long.getLong("loomd.commitSpinMicros", DEFAULT_MICROS)) * 1_000L;

    /** Callers waiting for a commit now. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final long windowNanos;

    CommitSpin(long windowNanos) {
        this.windowNanos = windowNanos;
    }

    /** Submits a write ({@code submit}) and waits for it as a counted waiter, by {@code join} after any spin. */
    <T> T await(Supplier<CompletableFuture<T>> submit, Function<CompletableFuture<T>, T> join) {
        boolean alone = waiting.getAndIncrement() == 0;
        try {
            CompletableFuture<T> result = submit.get();
            if (alone && windowNanos > 0) spin(result);
            return join.apply(result);
        } finally {
            waiting.decrementAndGet();
        }
    }

    private void spin(CompletableFuture<?> result) {
        long deadline = System.nanoTime() + windowNanos;
        while (!result.isDone() && waiting.get() == 1 && System.nanoTime() - deadline < 0) {
            Cpu.yieldCpu();
        }
    }
}
