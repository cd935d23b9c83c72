package loomd.daemon.session;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import loomd.daemon.build.BuildOptions;
import loomd.daemon.build.BuildPlan;
import loomd.daemon.build.BuildServices;
import loomd.daemon.build.GoalStatus;
import loomd.daemon.build.Worker;

import loomd.protocol.drv.DerivationPaths;
import loomd.protocol.drv.DrvPathWithOutputs;
import loomd.protocol.ops.BuildPaths;
import loomd.protocol.ops.BuiltinBuilders;
import loomd.protocol.ops.ClearFailedPaths;
import loomd.protocol.ops.EnsurePath;
import loomd.protocol.ops.IntReply;
import loomd.protocol.ops.NamesReply;
import loomd.protocol.ops.PathsReply;
import loomd.protocol.ops.QueryFailedPaths;
import loomd.protocol.wire.WorkerOp;

/** Realising paths (builds, ensure-path), the failure cache, the builtin builders: handlers of {@link OpTable}. */
final class BuildOps {
    static final List<String> BUILTIN_BUILDERS = List.of("download", "git-download");

    private BuildOps() {
    }

    /** Upstream raises this before the work phase, so it is fatal (protocol.md §6.9). */
    static void refuseRepairToUntrusted(SessionContext s, BuildPaths q) throws SessionError {
        if (q.mode() == BuildPaths.REPAIR && !s.peer.trusted()) {
            throw new SessionError("repairing is a privileged operation");
        }
    }

    /**
     * Upstream makes a derivation goal for each {@code .drv} (with or without {@code !outputs}: every
     * output is built) and a substitution goal for anything else (daemon.md §4.1); the mode, whatever
     * it is, becomes the substitution's repair flag ({@link SessionSubstitutes}); a substitution that
     * ends "no substituters" is not a failure (§4.15, §9.22). Derivations go to the daemon's scheduler.
     */
    static IntReply buildPaths(SessionContext s, BuildPaths q) throws Exception {
        List<DrvPathWithOutputs> drvs = new ArrayList<>();
        for (String thing : q.things()) {
            DrvPathWithOutputs parsed = DrvPathWithOutputs.parse(thing);
            if (DerivationPaths.isDerivationPath(parsed.path())) {
                drvs.add(parsed);
            }
        }
        BuildServices services = null;
        if (!drvs.isEmpty()) {
            services = BuildServices.of(s.store).orElseThrow(() -> Pending.refuse(s, WorkerOp.BUILD_PATHS));
        }
        List<String> plain = new ArrayList<>();
        for (String path : new TreeSet<>(q.things())) {
            if (!DerivationPaths.isDerivationPath(DrvPathWithOutputs.parse(path).path())) {
                plain.add(path);
            }
        }
        List<String> failed = SessionSubstitutes.realise(s, plain, q.mode() != BuildPaths.NORMAL);
        if (!failed.isEmpty()) {
            throw new SessionError("build of " + String.join(", ", failed.stream().map(p -> "`" + p + "'").toList())
                    + " failed", 1);
        }
        if (drvs.isEmpty()) {
            return IntReply.ONE;
        }
        BuildPlan plan = BuildPlan.of(s.store, drvs);
        plan.tempRoots().forEach(s.roots()::addTempRoot);
        BuildOptions options = BuildOptions.of(s.settings, (int) q.mode());
        BuildRelay relay = new BuildRelay();
        Worker worker = services.worker(options, relay);
        DerivationSubstitutes.attach(s, worker, relay);
        CompletableFuture<Worker.Result> done = worker.start(plan);
        // A hang-up cancels the builds from the watcher's thread at once (§7.3); the relay then ends.
        try (HangupWatch hangup = HangupWatch.start(s.stderr.watch(), () -> {
            worker.cancel();
            relay.hangUp();
        })) {
            relay.relayUntil(s, done, options.buildVerbosity(), options.multiplexed(), hangup.active());
        } catch (ClientGoneException | IOException | InterruptedException e) {
            worker.cancel();
            throw e;
        }
        Worker.Result result;
        try {
            result = done.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
        if (!result.succeeded()) {
            throw new SessionError(result.message(), result.status());
        }
        return IntReply.ONE;
    }

    /** Upstream's substitution goal adds the temp root before looking, so the path cannot be collected in between. */
    static IntReply ensurePath(SessionContext s, EnsurePath q) throws IOException, SessionError, InterruptedException {
        String path = q.path();
        if (!SessionSubstitutes.ensure(s, path)) {
            throw new SessionError("path `" + path + "' does not exist and cannot be created");
        }
        return IntReply.ONE;
    }

    static PathsReply queryFailedPaths(SessionContext s, QueryFailedPaths q) {
        return PathsReply.sorted(s.store.queries().queryFailedPaths());
    }

    static IntReply clearFailedPaths(SessionContext s, ClearFailedPaths q) {
        s.store.queries().clearFailedPaths(new TreeSet<>(q.paths()));
        return IntReply.ONE;
    }

    static NamesReply builtinBuilders(SessionContext s, BuiltinBuilders q) {
        return new NamesReply(BUILTIN_BUILDERS);
    }
}
