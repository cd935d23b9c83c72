package loomd.daemon.build;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;


/**
 * The derivation goals running now, one per {@code .drv}, shared by every session (daemon.md §4.2):
 * the first operation that needs a derivation starts its build; another that needs it meanwhile waits
 * for the same result instead of building again. A build is cancelled only when every operation
 * waiting for it has left (a client gone, keep-going off). Thread-safe.
 */
final class SharedGoals {
    /** A running goal: its result and how many operations wait for it. */
    static final class Shared {
        final CompletableFuture<GoalStatus> result = new CompletableFuture<>();
        private final AtomicInteger waiters = new AtomicInteger(1);
        private final LocalBuild build;

        Shared(LocalBuild build) {
            this.build = build;
        }
    }

    /** What {@link #join} gives: the goal, and whether this caller started it (and so sees its traces). */
    record Joined(Shared goal, boolean started) {}

    private final ConcurrentHashMap<String, Shared> running = new ConcurrentHashMap<>();

    /**
     * Joins the running goal of {@code drvPath}, or starts {@code build} as a new one on a virtual
     * thread. A goal whose last waiter left stays in the table until its build has stopped, so a late
     * joiner gets its (cancelled) result and builds anew afterwards.
     */
    Joined join(String drvPath, Supplier<LocalBuild> build) {
        while (true) {
            LocalBuild b = build.get(); // only a constructor: cheap when another goal wins
            Shared mine = new Shared(b);
            Shared existing = running.putIfAbsent(drvPath, mine);
            if (existing == null) {
                Thread.ofVirtual().name("loomd-build-" + drvPath.substring(drvPath.lastIndexOf('/') + 1)).start(() -> {
                    try {
                        mine.result.complete(b.run());
                    } catch (Throwable t) {
                        mine.result.completeExceptionally(t);
                    } finally {
                        running.remove(drvPath, mine);
                    }
                });
                return new Joined(mine, true);
            }
            if (existing.waiters.getAndUpdate(n -> n == 0 ? 0 : n + 1) > 0) {
                return new Joined(existing, false);
            }
            existing.result.handle((s, e) -> null).join(); // a cancelled goal on its way out
        }
    }

    /** This waiter leaves; the last one cancels the build. */
    void leave(Shared goal) {
        if (goal.waiters.decrementAndGet() == 0) {
            goal.build.cancel();
        }
    }

    void cancelAll() {
        running.values().forEach(g -> g.build.cancel());
    }
}
