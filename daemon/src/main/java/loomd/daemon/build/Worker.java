package loomd.daemon.build;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import loomd.daemon.store.StoreException;
import loomd.protocol.drv.DrvPathWithOutputs;

/**
 * The scheduler of one build operation (daemon.md §4.2, §4.3): runs the goals of a {@link BuildPlan},
 * each derivation after its inputs, at most {@code max-jobs} builds of its own at once, joining the
 * daemon-wide goal when another session builds the same derivation. Each goal waits on a virtual
 * thread of its own (futures and semaphores park it; no native call blocks). The result is upstream's
 * {@link Result}; an error that escapes the scheduler fails {@link #start}'s future and cancels the rest.
 */
public final class Worker {
    static final String WAITING = "waiting for locks or build slots...\n";

    private final BuildServices services;
    private final BuildOptions options;
    private final BuildEvents events;
    private final Semaphore slots;
    private final Map<String, CompletableFuture<GoalStatus>> goals = new HashMap<>();
    private final Set<SharedGoals.Shared> joined = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean waitingShown = new AtomicBoolean();
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final Set<String> tops = new java.util.HashSet<>();
    private volatile OutputSubstitution substitution;
    private final Offload offload;
    /** Goals not yet accepted by the hook nor past it (nor ended); the one asking the hook is among them. */
    private final AtomicInteger undecided = new AtomicInteger();
    private final Set<String> decided = ConcurrentHashMap.newKeySet();

    /**
     * How the operation ended (§4.15): {@code failed} lists the failed top-level requests (empty on
     * success); {@code status} is 101 if any goal timed out, 100 if any failed permanently, else 1.
     */
    public record Result(List<String> failed, int status) {
        public boolean succeeded() {
            return failed.isEmpty();
        }

        /** {@code build of `a', `b' failed}. */
        public String message() {
            return "build of " + String.join(", ", failed.stream().map(p -> "`" + p + "'").toList()) + " failed";
        }
    }

    Worker(BuildServices services, BuildOptions options, BuildEvents events) {
        this.services = services;
        this.options = options;
        this.events = events;
        this.slots = new Semaphore(Math.max(options.maxJobs(), 0));
        this.offload = new Offload(services, options, events, () -> undecided.get() > 1);
        result.whenComplete((r, e) -> offload.close());
    }

    /** Makes each derivation goal try substitutes for its outputs first (§4.3 steps 2-3); before {@link #start}. */
    public Worker substituteOutputsWith(OutputSubstitution outputs) {
        this.substitution = outputs;
        return this;
    }

    /** Starts every goal of {@code plan}; the future completes when the operation is over. Call once. */
    public CompletableFuture<Result> start(BuildPlan plan) {
        plan.tops().forEach(t -> tops.add(t.path()));
        undecided.set(plan.nodes().size());
        if (options.maxJobs() == 0 && !offload.enabled() && plan.nodes().values().stream().anyMatch(n -> !n.missing())) {
            result.completeExceptionally(new StoreException(
                    Offload.NO_BUILD));
            return result;
        }
        for (BuildPlan.Node node : plan.nodes().values()) {
            List<CompletableFuture<GoalStatus>> inputs = new ArrayList<>();
            if (!node.missing()) {
                node.drv().inputDrvs().keySet().forEach(i -> inputs.add(goals.get(i)));
            }
            CompletableFuture<GoalStatus> goal = new CompletableFuture<>();
            goals.put(node.drvPath(), goal);
            Thread.ofVirtual().name("loomd-goal").start(() -> runGoal(node, inputs, goal));
        }
        List<CompletableFuture<GoalStatus>> all = new ArrayList<>(goals.values());
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, error) -> {
            if (error != null) {
                cancel();
                result.completeExceptionally(error instanceof java.util.concurrent.CompletionException c
                        && c.getCause() != null ? c.getCause() : error);
            } else {
                result.complete(summarise(plan));
            }
        });
        return result;
    }

    private Result summarise(BuildPlan plan) {
        List<String> failed = new ArrayList<>();
        for (DrvPathWithOutputs top : plan.tops()) {
            if (!goals.get(top.path()).join().succeeded() && !failed.contains(top.path())) {
                failed.add(top.path());
            }
        }
        List<GoalStatus> statuses = goals.values().stream().map(CompletableFuture::join).toList();
        int status = statuses.contains(GoalStatus.TIMED_OUT) ? 101
                : statuses.stream().anyMatch(GoalStatus::permanent) ? 100 : 1;
        return new Result(failed, status);
    }

    /** The client is gone (or the operation failed): leave every goal; the last waiter's leaving kills a build. */
    public void cancel() {
        stopping.set(true);
        offload.cancel();
        joined.forEach(this::leave);
    }

    private void leave(SharedGoals.Shared goal) {
        if (joined.remove(goal)) {
            services.goals.leave(goal);
        }
    }

    private void runGoal(BuildPlan.Node node, List<CompletableFuture<GoalStatus>> inputs,
            CompletableFuture<GoalStatus> done) {
        try {
            done.complete(goal(node, inputs));
        } catch (Throwable t) {
            done.completeExceptionally(t);
        } finally {
            decided(node);
        }
    }

    private GoalStatus goal(BuildPlan.Node node, List<CompletableFuture<GoalStatus>> inputs) throws Exception {
        if (node.missing()) {
            events.message(0, "cannot build missing derivation \u2018" + node.drvPath() + "\u2019\n");
            return GoalStatus.MISC_FAILURE;
        }
        OutputSubstitution outputs = substitution;
        if (outputs != null && options.mode() == BuildOptions.NORMAL) {
            var substituted = outputs.substituteOutputs(node.drvPath(), node.drv(), stopping::get);
            if (substituted.isPresent()) {
                return substituted.get();
            }
        }
        long failedInputs = 0;
        for (CompletableFuture<GoalStatus> input : inputs) {
            if (!input.get().succeeded()) {
                failedInputs++;
            }
        }
        if (failedInputs > 0) {
            events.message(0, "cannot build derivation `" + node.drvPath() + "': " + failedInputs
                    + " dependencies couldn't be built\n");
            return GoalStatus.DEPENDENCY_FAILED;
        }
        if (stopping.get()) {
            return GoalStatus.MISC_FAILURE;
        }
        if (modeOf(node) == BuildOptions.NORMAL && outputsValid(node)) {
            return GoalStatus.ALREADY_VALID;
        }
        Optional<GoalStatus> offloaded = offload.attempt(node, slots.availablePermits() > 0, () -> decided(node));
        decided(node);
        if (offloaded.isPresent()) {
            if (!offloaded.get().succeeded() && !options.keepGoing()) {
                cancel();
            }
            return offloaded.get();
        }
        if (!slots.tryAcquire()) {
            if (waitingShown.compareAndSet(false, true)) {
                events.message(0, WAITING);
            }
            slots.acquire();
        }
        try {
            return build(node);
        } finally {
            slots.release();
        }
    }

    private void decided(BuildPlan.Node node) {
        if (decided.add(node.drvPath())) {
            undecided.decrementAndGet();
        }
    }

    /** Repair propagates to the inputs, check does not (§4.3 step 3). */
    private int modeOf(BuildPlan.Node node) {
        return options.mode() == BuildOptions.CHECK && !tops.contains(node.drvPath()) ? BuildOptions.NORMAL : options.mode();
    }

    private boolean outputsValid(BuildPlan.Node node) {
        return node.drv().outputs().values().stream().allMatch(o -> services.store.queries().isValidPath(o.path()));
    }

    private GoalStatus build(BuildPlan.Node node) throws Exception {
        if (stopping.get()) {
            return GoalStatus.MISC_FAILURE;
        }
        BuildOptions mine = options.withMode(modeOf(node));
        // A check or repair never joins a normal build of the same derivation (nor the reverse).
        String key = mine.mode() == BuildOptions.NORMAL ? node.drvPath() : node.drvPath() + "!" + mine.mode();
        SharedGoals.Joined j = services.goals.join(key,
                () -> new LocalBuild(services, mine, events, node.drvPath(), node.drv()));
        joined.add(j.goal());
        if (stopping.get()) {
            leave(j.goal());
        }
        GoalStatus status;
        try {
            status = j.goal().result.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            leave(j.goal());
        }
        if (!j.started() && status == GoalStatus.BUILT) {
            return GoalStatus.ALREADY_VALID; // built by another session: no traces here
        }
        if (!status.succeeded() && !options.keepGoing()) {
            cancel(); // upstream cancels the other goals and kills their builders
        }
        return status;
    }
}
