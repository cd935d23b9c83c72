package loomd.daemon.build;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import loomd.daemon.offload.BuildHook;
import loomd.daemon.offload.HookCommand;
import loomd.daemon.offload.HookProcess;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.fs.FileTrees;
import loomd.daemon.store.roots.FileLocker;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;

/**
 * The build-hook half of "try to build" (daemon.md §4.3 step 5, §6) for one scheduler: takes the output
 * locks, re-checks validity, asks the hook, and on accept runs the hook build ({@link HookRun}) with the
 * locks held. Declined goals go on to the local path. Postponed goals unlock and ask again after
 * {@code build-poll-interval}. With {@code max-jobs 0} a declined goal waits for a running hook build
 * and asks again, or, when nothing runs, ends the operation with upstream's "unable to start any build".
 */
final class Offload implements AutoCloseable {
    static final String NO_BUILD =
            "unable to start any build; either increase `--max-jobs' or enable distributed builds";

    private final BuildServices services;
    private final BuildOptions options;
    private final BuildEvents events;
    private final Optional<BuildHook> hook;
    private final Set<HookRun> running = ConcurrentHashMap.newKeySet();
    private final Object finished = new Object();
    private volatile boolean cancelled;

    /** @param moreToAsk whether goals of the scheduler may still ask the hook (see {@link BuildHook}) */
    Offload(BuildServices services, BuildOptions options, BuildEvents events, BooleanSupplier moreToAsk) {
        this.services = services;
        this.options = options;
        this.events = events;
        // No guix program: there is no hook to ask, as with --no-offload.
        this.hook = options.useBuildHook()
                ? HookCommand.guix(services.daemonEnvironment).map(g -> new BuildHook(services.spawner, services.monitor,
                        HookCommand.offloadArgv(g, options.thisSystem(), options.maxSilentTime(),
                                options.printBuildTrace(), options.buildTimeout()), services.daemonEnvironment, moreToAsk))
                : Optional.empty();
    }

    boolean enabled() {
        return hook.isPresent();
    }

    /** upstream's willBuildLocally, and check/repair modes (local only). */
    boolean buildsLocally(Derivation drv) {
        return options.mode() != BuildOptions.NORMAL
                || "1".equals(drv.env().get("preferLocalBuild")) && canBuildLocally(drv.platform());
    }

    private boolean canBuildLocally(String platform) {
        String self = options.thisSystem();
        return platform.equals(self) || platform.equals("i686-linux") && self.equals("x86_64-linux")
                || platform.equals("armhf-linux") && self.equals("aarch64-linux");
    }

    /**
     * Offers {@code node} to the hook. Empty: build locally. Otherwise the goal's result.
     *
     * @param slotFree whether a local slot is free now ({@code <avail>} of §6.3)
     * @param accepted run when the hook accepts, before the hook build
     */
    Optional<GoalStatus> attempt(BuildPlan.Node node, boolean slotFree, Runnable accepted) throws Exception {
        if (hook.isEmpty() || buildsLocally(node.drv())) {
            return noLocalBuild(node, accepted);
        }
        while (!cancelled) {
            Optional<Optional<GoalStatus>> step = oneRound(node, slotFree, accepted);
            if (step.isPresent()) {
                Optional<GoalStatus> result = step.get();
                return result.isPresent() ? result : noLocalBuild(node, accepted);
            }
            TimeUnit.SECONDS.sleep(Math.max(1, options.pollInterval()));
        }
        return Optional.of(GoalStatus.MISC_FAILURE);
    }

    /** Upstream's max-jobs 0: wait for a hook build to end and ask again, or fail the operation if none runs. */
    private Optional<GoalStatus> noLocalBuild(BuildPlan.Node node, Runnable accepted) throws Exception {
        if (options.maxJobs() > 0 || hook.isPresent() && buildsLocally(node.drv())) {
            return Optional.empty();
        }
        if (hook.isEmpty() || running.isEmpty()) {
            throw new StoreException(NO_BUILD);
        }
        synchronized (finished) {
            if (!running.isEmpty()) {
                finished.wait(TimeUnit.SECONDS.toMillis(Math.max(1, options.pollInterval())));
            }
        }
        return attempt(node, false, accepted);
    }

    /** One lock-and-ask round: empty means postponed; a present empty means declined. */
    private Optional<Optional<GoalStatus>> oneRound(BuildPlan.Node node, boolean slotFree, Runnable accepted)
            throws Exception {
        Derivation drv = node.drv();
        List<Path> physical = drv.outputs().values().stream().map(o -> services.store.config().physical(o.path())).toList();
        try (FileLocker.PathLock lock = services.locker.lockPaths(physical)) {
            if (missing(drv).isEmpty()) {
                lock.setDeletion(true); // someone beat us to it
                return Optional.of(Optional.of(GoalStatus.ALREADY_VALID));
            }
            for (DerivationOutput o : drv.outputs().values()) {
                Path p = services.store.config().physical(o.path());
                if (!services.store.queries().isValidPath(o.path()) && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    FileTrees.deleteRecursively(p);
                }
            }
            BuildHook.Reply reply;
            try {
                reply = hook.orElseThrow().ask(slotFree, drv.platform(), node.drvPath(), features(drv),
                        line -> events.message(0, line));
            } catch (StoreException e) {
                events.message(0, e.getMessage() + "\n"); // upstream aborts the operation here (§9.24)
                return Optional.of(Optional.of(GoalStatus.MISC_FAILURE));
            }
            return switch (reply) {
                case BuildHook.Reply.Decline d -> Optional.of(Optional.empty());
                case BuildHook.Reply.Postpone p -> Optional.empty();
                case BuildHook.Reply.Accept a -> {
                    accepted.run();
                    yield Optional.of(Optional.of(runAccepted(node, a.hook(), lock)));
                }
            };
        }
    }

    private GoalStatus runAccepted(BuildPlan.Node node, HookProcess hookProcess, FileLocker.PathLock lock) throws Exception {
        HookRun run = new HookRun(services, options, events, node.drvPath(), node.drv(), hookProcess);
        running.add(run);
        try {
            if (cancelled) {
                run.cancel();
            }
            GoalStatus status = run.run(missing(node.drv()));
            if (status == GoalStatus.BUILT) {
                lock.setDeletion(true);
            }
            return status;
        } finally {
            running.remove(run);
            synchronized (finished) {
                finished.notifyAll();
            }
        }
    }

    private List<String> missing(Derivation drv) {
        return drv.outputs().values().stream().map(DerivationOutput::path)
                .filter(p -> !services.store.queries().isValidPath(p)).sorted().toList();
    }

    private static List<String> features(Derivation drv) {
        String f = drv.env().getOrDefault("requiredSystemFeatures", "").strip();
        return f.isEmpty() ? List.of() : List.of(f.split("\\s+"));
    }

    /** The client is gone or a goal failed without keep-going: kill every hook build. */
    void cancel() {
        cancelled = true;
        running.forEach(HookRun::cancel);
    }

    @Override
    public void close() {
        hook.ifPresent(BuildHook::close);
    }
}
