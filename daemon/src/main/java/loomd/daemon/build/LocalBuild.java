package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import loomd.daemon.build.builtin.BuiltinContext;
import loomd.daemon.build.builtin.BuiltinRun;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.fs.FileTrees;
import loomd.daemon.store.roots.FileLocker;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;

/**
 * Steps 5 and 6 of the derivation goal (daemon.md §4.3) for one {@code .drv} whose inputs are valid:
 * take the output locks, re-check validity, run the builder (§4.6 to §4.11), register the outputs
 * (§4.12) and report in upstream's words. Runs on its goal's virtual thread ({@link SharedGoals});
 * {@link #cancel} may come from any thread. An error that upstream lets escape the scheduler (the
 * sandbox could not be set up, a database error) is thrown and aborts the operation.
 */
final class LocalBuild {
    private final BuildServices services;
    private final BuildOptions options;
    private final BuildEvents events;
    private final String drvPath;
    private final Derivation drv;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile RunningBuild run;
    /** Each round traces its own {@code @ build-started}. */
    private volatile TraceOnce started = new TraceOnce();
    private final Rounds rounds;
    /** Set by a round that succeeded but is not the last: the goal builds again. */
    private boolean anotherRound;
    private final PhaseClock clock = new PhaseClock();
    private volatile long startedAt;
    /** {@code NIX_BUILD_CORES}: the option's, or 1 once a failure under load asked for another try. */
    private int cores;

    LocalBuild(BuildServices services, BuildOptions options, BuildEvents events, String drvPath, Derivation drv) {
        this.services = services;
        this.options = options;
        this.events = events;
        this.drvPath = drvPath;
        this.drv = drv;
        this.cores = options.cores();
        this.rounds = new Rounds(services.store, drvPath, BuildEnvironment.isFixedOutputBuild(drv), options.buildRepeat(),
                options.keepFailed());
    }

    void cancel() {
        cancelled.set(true);
        RunningBuild r = run;
        if (r != null) {
            r.cancel();
        }
    }

    GoalStatus run() throws Exception {
        try {
            return buildUnderLocks();
        } finally {
            clock.mark("unlock");
            clock.report(services.log, drvPath);
        }
    }

    private GoalStatus buildUnderLocks() throws Exception {
        List<Path> physical = drv.outputs().values().stream().map(o -> services.store.config().physical(o.path())).toList();
        clock.mark("queued");
        try (FileLocker.PathLock lock = services.locker.lockPaths(physical)) {
            clock.mark("lock");
            if (cancelled.get()) {
                return GoalStatus.MISC_FAILURE;
            }
            if (nothingToDo()) {
                lock.setDeletion(true); // someone beat us to it
                return GoalStatus.ALREADY_VALID;
            }
            clock.mark("check");
            while (true) {
                deleteInvalidOutputs();
                if (options.cacheFailure() && cachedFailure()) {
                    return GoalStatus.CACHED_FAILURE;
                }
                anotherRound = false;
                GoalStatus status = build(lock);
                if (status == GoalStatus.BUILT) {
                    lock.setDeletion(true);
                }
                if (!anotherRound || cancelled.get()) {
                    clock.mark("finish");
                    return anotherRound ? GoalStatus.MISC_FAILURE : status;
                }
            }
        }
    }

    /**
     * Under the output locks: normal mode has nothing to do when every output is valid, repair mode
     * when every output is also intact (§4.3 step 5). Check mode always builds, but only what is
     * valid can be checked, and only in a chroot (the valid outputs must stay untouched meanwhile).
     */
    private boolean nothingToDo() {
        return switch (options.mode()) {
            case BuildOptions.CHECK -> {
                if (!allValid()) {
                    throw new StoreException("`" + drvPath + "' is missing outputs; build it normally before using `--check'");
                }
                requireChroot("checking");
                yield false;
            }
            case BuildOptions.REPAIR -> {
                boolean intact = Repair.intact(services.store, drv, events);
                if (!intact) {
                    requireChroot("repairing");
                }
                yield intact;
            }
            default -> allValid();
        };
    }

    /**
     * Upstream rebuilds a valid output outside a chroot under a temporary path and rewrites the hash
     * parts afterwards; loomd does not rewrite hashes, so such a build would write over the valid tree.
     */
    private void requireChroot(String what) {
        if (!options.useChroot() || BuildEnvironment.isBuiltin(drv)) {
            throw new StoreException(what + " `" + drvPath + "' needs an isolated build (build-use-chroot)");
        }
    }

    private void deleteInvalidOutputs() throws IOException {
        for (DerivationOutput o : drv.outputs().values()) {
            Path p = services.store.config().physical(o.path());
            if (!services.store.queries().isValidPath(o.path()) && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                FileTrees.deleteRecursively(p);
            }
        }
    }

    private boolean allValid() {
        return drv.outputs().values().stream().allMatch(o -> services.store.queries().isValidPath(o.path()));
    }

    private boolean cachedFailure() {
        SortedSet<String> failed = services.store.queries().queryFailedPaths();
        for (DerivationOutput o : drv.outputs().values()) {
            if (failed.contains(o.path())) {
                events.message(0, "builder for `" + o.path() + "' failed previously (cached)\n");
                trace(TraceLines.buildFailedCached(drvPath));
                return true;
            }
        }
        return false;
    }

    private GoalStatus build(FileLocker.PathLock lock) throws Exception {
        started = new TraceOnce();
        SortedSet<String> inputs = InputClosure.of(services.store, drvPath, drv);
        clock.mark("closure");
        boolean chroot = options.useChroot() && !BuildEnvironment.isBuiltin(drv);
        // upstream's storePathToName: "NAME.drv", so the builder's directory is guix-build-NAME.drv-0
        String drvName = drvPath.substring(drvPath.lastIndexOf('/') + 1 + 33);
        BuildDirectory dir = BuildDirectory.create(services.tmpDir, drvName, chroot, Optional.empty());
        String storeDir = services.store.config().storeDir().path();
        clock.mark("builddir");
        ContainerLayout layout = null;
        boolean success = false;
        try {
            try {
                ReferencesGraph.write(services.store, drv, dir.builderDir());
            } catch (ReferencesGraph.Rejected r) {
                return rejected(r.getMessage());
            }
            try (BuildUsers.Lease user = BuildUsers.lease(services, () -> events.message(0, Worker.WAITING))) {
                clock.mark("lease");
                if (user.identity() instanceof BuildIdentity.BuildUser u) {
                    dir.handTo(u);
                }
                layout = new ContainerLayout(chroot, storeDir, services.store.config().physicalStore(), drvPath,
                        dir, inputs, outputPaths(), BuildEnvironment.isFixedOutputBuild(drv), user.identity(),
                        List.of(), ContainerLayout.personality(drv.platform(), options.thisSystem(), false));
                GoalStatus status = runBuilder(layout, dir, storeDir);
                success = status == GoalStatus.BUILT || anotherRound;
                return status;
            }
        } finally {
            cleanUp(layout, dir, success);
            clock.mark("cleanup");
        }
    }

    private GoalStatus runBuilder(ContainerLayout layout, BuildDirectory dir, String storeDir) throws Exception {
        layout.prepare();
        clock.mark("prepare");
        BuildLog log = options.keepLog()
                ? BuildLog.open(services.store.config().logDir(), drvPath.substring(storeDir.length() + 1),
                        options.logCompression())
                : BuildLog.none();
        BuilderRun.OutputSink sink = (pid, data, off, len) -> {
            started.once(() -> trace(TraceLines.buildStarted(drvPath, drv.platform(), log.traceName(), pid)));
            events.log(pid, data, off, len);
        };
        RunningBuild r = BuildEnvironment.isBuiltin(drv)
                ? BuiltinRun.start(builtinContext(layout, dir), log, sink)
                : BuilderRun.start(services.spawner, services.monitor, layout.request(environment(dir, storeDir)),
                        log, options.limits(), options.maxLogSize(), sink);
        run = r;
        clock.mark("spawn-request");
        if (cancelled.get()) {
            r.cancel();
        }
        r.started().thenAccept(pid -> startedAt = System.nanoTime());
        r.started().thenAccept(pid -> started.once(
                () -> trace(TraceLines.buildStarted(drvPath, drv.platform(), log.traceName(), pid))));
        BuildOutcome outcome = await(r);
        clock.mark("run");
        if (PhaseClock.ON) {
            services.log.accept("build timings " + drvPath.substring(drvPath.lastIndexOf('/') + 1) + ": started-to-outcome="
                    + (System.nanoTime() - startedAt) / 1000);
        }
        long pid = r.started().isCompletedExceptionally() ? 0 : r.started().getNow(0L);
        return finish(outcome, pid, layout);
    }

    private java.util.Set<String> outputPaths() {
        java.util.Set<String> paths = new java.util.HashSet<>();
        drv.outputs().values().forEach(o -> paths.add(o.path()));
        return paths;
    }

    private BuildEnvironment environment(BuildDirectory dir, String storeDir) {
        return BuildEnvironment.forDerivation(drv).storeDir(storeDir).buildCores(cores)
                .buildDirInSandbox(dir.inSandbox()).daemonEnvironment(services.daemonEnvironment).build();
    }

    /** §4.14: the daemon runs {@code builtin:*} itself, writing {@code out} where a builder would. */
    private BuiltinContext builtinContext(ContainerLayout layout, BuildDirectory dir) {
        DerivationOutput out = drv.outputs().get("out"); // none: the builtin fails before it writes anything
        return new BuiltinContext(drvPath, drv, out == null ? null : builtAt(layout, out.path()), services.store,
                Path.of(dir.inSandbox()), services.daemonEnvironment, options.printBuildTrace(), services.spawner,
                services.monitor, options.limits(), options.maxLogSize());
    }

    private static BuildOutcome await(RunningBuild r) throws IOException, InterruptedException {
        try {
            return r.outcome().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    private GoalStatus finish(BuildOutcome outcome, long pid, ContainerLayout layout) {
        return switch (outcome) {
            case BuildOutcome.Succeeded s -> registerOutputs(layout);
            case BuildOutcome.Failed f -> retryWithOneCore(TraceLines.builderFailed(drvPath, f.status()))
                    ? GoalStatus.MISC_FAILURE // not reported: the goal builds again
                    : failed(TraceLines.builderFailed(drvPath, f.status()), BuildEnvironment.isFixedOutputBuild(drv)
                            ? BuildFailure.Kind.TRANSIENT : BuildFailure.Kind.PERMANENT, List.of());
            case BuildOutcome.ExecFailed e -> failed(TraceLines.builderFailed(drvPath, e.status()),
                    BuildFailure.Kind.PERMANENT, List.of());
            case BuildOutcome.TimedOut t -> {
                TraceLines.timedOut(drvPath, t.limit(), pid, options.printBuildTrace()).forEach(l -> events.message(0, l));
                yield GoalStatus.TIMED_OUT;
            }
            case BuildOutcome.LogLimitExceeded l -> {
                events.message(0, TraceLines.logLimitExceeded(drvPath, l.maxLogSize()));
                trace(TraceLines.buildFailedTimeout(drvPath));
                yield GoalStatus.TIMED_OUT;
            }
            case BuildOutcome.SetupError e -> throw new StoreException(e.message());
            case BuildOutcome.Cancelled c -> GoalStatus.MISC_FAILURE;
            case BuildOutcome.Lost l -> throw new StoreException("the builder of `" + drvPath + "' was lost: " + l.reason());
        };
    }

    /** Beyond upstream ({@link LoadRetry}): once per goal, a builder failure under load becomes another try. */
    private boolean retryWithOneCore(String failure) {
        if (cores == 1 || cancelled.get() || BuildEnvironment.isBuiltin(drv)) {
            return false;
        }
        Optional<String> reason = services.loadRetry().reason(cores);
        if (reason.isEmpty()) {
            return false;
        }
        cores = 1;
        anotherRound = true;
        events.message(0, LoadRetry.message(failure, reason.get()));
        trace(LoadRetry.trace(drvPath));
        return true;
    }

    private GoalStatus registerOutputs(ContainerLayout layout) {
        OutputRegistrar.Built built = new OutputRegistrar.Built(drvPath, drv,
                new java.util.TreeSet<>(layout.inputPaths()), p -> builtAt(layout, p));
        try {
            boolean check = options.mode() == BuildOptions.CHECK;
            var scans = services.registrar.inspect(built, !check);
            clock.mark("inspect");
            if (check) {
                rounds.compareWithValid(scans, this::trace);
                anotherRound = !rounds.finishRoundOfCheck();
            } else if (rounds.finishRound(scans)) {
                services.registrar.commit(built, scans);
                clock.mark("commit");
            } else {
                anotherRound = true;
                return GoalStatus.MISC_FAILURE; // not reported: the goal builds again
            }
            if (anotherRound) {
                return GoalStatus.MISC_FAILURE;
            }
        } catch (BuildFailure f) {
            return failed(f.getMessage(), f.kind(), f.tracesBefore());
        }
        trace(TraceLines.buildSucceeded(drvPath));
        return GoalStatus.BUILT;
    }

    private Path builtAt(ContainerLayout layout, String path) {
        return layout.chroot() ? layout.fakeStore().resolve(path.substring(path.lastIndexOf('/') + 1))
                : services.store.config().physical(path);
    }

    /** §4.12 failure: the message at error level, then the trace; the failure cache as upstream's rule says. */
    private GoalStatus failed(String message, BuildFailure.Kind kind, List<String> tracesBefore) {
        tracesBefore.forEach(this::trace);
        events.message(0, message + "\n");
        trace(TraceLines.buildFailed(drvPath, 1, message));
        if (options.cacheFailure() && !BuildEnvironment.isFixedOutputBuild(drv)) {
            List<String> outs = new ArrayList<>();
            drv.outputs().values().forEach(o -> outs.add(o.path()));
            services.store.queries().registerFailedPaths(outs);
        }
        return GoalStatus.of(kind);
    }

    /** A build error while preparing (§4.3 step 5): trace code 0, not cached, the operation goes on. */
    private GoalStatus rejected(String message) {
        events.message(0, message + "\n");
        trace(TraceLines.buildFailed(drvPath, 0, message));
        return GoalStatus.INPUT_REJECTED;
    }

    private void trace(String line) {
        if (options.printBuildTrace()) {
            events.message(0, line);
        }
    }

    /**
     * Removes the build directory (unless kept) and the container. The container's deletion runs after
     * the goal has ended, on a cleanup thread ({@link BuildServices#cleanUpLater}): unmounting what the
     * builder's namespace left on it costs tens of milliseconds, which would otherwise hold the build
     * slot and the dependent goals. The container is first renamed aside, so a new build of the same derivation never meets it.
     */
    private void cleanUp(ContainerLayout layout, BuildDirectory dir, boolean success) {
        Path container = null;
        if (layout != null && layout.chroot()) {
            try {
                container = layout.moveAside();
            } catch (IOException e) {
                container = layout.containerDir(); // absent (never prepared), or not movable: deleted in place below
                deleteNow(container);
                container = null;
            }
        }
        boolean keep = !success && options.keepFailed();
        if (keep) {
            events.message(0, "note: keeping build directory `" + dir.outer() + "'\n");
            try {
                Files.setAttribute(dir.builderDir(), "unix:mode", 0755); // upstream: readable for inspection
            } catch (IOException e) {
                services.log.accept("making `" + dir.builderDir() + "' readable: " + e.getMessage());
            }
        }
        if (!keep) {
            try {
                // plain files (a bind source, never a mount point): quick, and gone before the client hears
                FileTrees.deleteRecursively(dir.outer());
            } catch (IOException e) {
                services.log.accept("deleting `" + dir.outer() + "': " + e.getMessage());
            }
        }
        if (container != null) {
            Path aside = container;
            services.cleanUpLater(() -> deleteNow(aside));
        }
    }

    private void deleteNow(Path container) {
        try {
            ContainerLayout.deleteTree(container);
        } catch (IOException e) {
            services.log.accept("deleting `" + container + "': " + e.getMessage());
        }
    }

    /** Runs its action the first time only, whichever thread comes first (the pump or the start). */
    private static final class TraceOnce {
        private boolean done;

        synchronized void once(Runnable action) {
            if (!done) {
                done = true;
                action.run();
            }
        }
    }
}
