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
import loomd.protocol.drv.DerivationPaths;

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
    private final TraceOnce started = new TraceOnce();

    LocalBuild(BuildServices services, BuildOptions options, BuildEvents events, String drvPath, Derivation drv) {
        this.services = services;
        this.options = options;
        this.events = events;
        this.drvPath = drvPath;
        this.drv = drv;
    }

    void cancel() {
        cancelled.set(true);
        RunningBuild r = run;
        if (r != null) {
            r.cancel();
        }
    }

    GoalStatus run() throws Exception {
        List<Path> physical = drv.outputs().values().stream().map(o -> services.store.config().physical(o.path())).toList();
        try (FileLocker.PathLock lock = services.locker.lockPaths(physical)) {
            if (cancelled.get()) {
                return GoalStatus.MISC_FAILURE;
            }
            if (options.mode() != BuildOptions.CHECK && allValid()) {
                lock.setDeletion(true); // someone beat us to it
                return GoalStatus.ALREADY_VALID;
            }
            for (DerivationOutput o : drv.outputs().values()) {
                Path p = services.store.config().physical(o.path());
                if (!services.store.queries().isValidPath(o.path()) && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    FileTrees.deleteRecursively(p);
                }
            }
            if (options.cacheFailure() && cachedFailure()) {
                return GoalStatus.CACHED_FAILURE;
            }
            GoalStatus status = build(lock);
            if (status == GoalStatus.BUILT) {
                lock.setDeletion(true);
            }
            return status;
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
        SortedSet<String> inputs = InputClosure.of(services.store, drvPath, drv);
        boolean chroot = options.useChroot() && !BuildEnvironment.isBuiltin(drv);
        String drvName = DerivationPaths.drvName(drvPath);
        BuildDirectory dir = BuildDirectory.create(services.tmpDir, drvName, chroot, Optional.empty());
        String storeDir = services.store.config().storeDir().path();
        ContainerLayout layout = new ContainerLayout(chroot, storeDir, services.store.config().physicalStore(), drvPath,
                dir, inputs, outputPaths(), BuildEnvironment.isFixedOutputBuild(drv), BuildIdentity.Guest.ofThisProcess(),
                List.of(), ContainerLayout.personality(drv.platform(), options.thisSystem(), false));
        boolean success = false;
        try {
            layout.prepare();
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
            if (cancelled.get()) {
                r.cancel();
            }
            r.started().thenAccept(pid -> started.once(
                    () -> trace(TraceLines.buildStarted(drvPath, drv.platform(), log.traceName(), pid))));
            BuildOutcome outcome = await(r);
            long pid = r.started().isCompletedExceptionally() ? 0 : r.started().getNow(0L);
            GoalStatus status = finish(outcome, pid, layout);
            success = status == GoalStatus.BUILT;
            return status;
        } finally {
            cleanUp(layout, dir, success);
        }
    }

    private java.util.Set<String> outputPaths() {
        java.util.Set<String> paths = new java.util.HashSet<>();
        drv.outputs().values().forEach(o -> paths.add(o.path()));
        return paths;
    }

    private BuildEnvironment environment(BuildDirectory dir, String storeDir) {
        return BuildEnvironment.forDerivation(drv).storeDir(storeDir).buildCores(options.cores())
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
            case BuildOutcome.Failed f -> failed(TraceLines.builderFailed(drvPath, f.status()),
                    BuildEnvironment.isFixedOutputBuild(drv) ? BuildFailure.Kind.TRANSIENT : BuildFailure.Kind.PERMANENT,
                    List.of());
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

    private GoalStatus registerOutputs(ContainerLayout layout) {
        try {
            services.registrar.register(new OutputRegistrar.Built(drvPath, drv,
                    new java.util.TreeSet<>(layout.inputPaths()), p -> builtAt(layout, p)));
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

    private void trace(String line) {
        if (options.printBuildTrace()) {
            events.message(0, line);
        }
    }

    private void cleanUp(ContainerLayout layout, BuildDirectory dir, boolean success) {
        try {
            layout.delete();
        } catch (IOException e) {
            services.log.accept("deleting `" + layout.containerDir() + "': " + e.getMessage());
        }
        if (!success && options.keepFailed()) {
            events.message(0, "note: keeping build directory `" + dir.outer() + "'\n");
            return;
        }
        try {
            FileTrees.deleteRecursively(dir.outer());
        } catch (IOException e) {
            services.log.accept("deleting `" + dir.outer() + "': " + e.getMessage());
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
