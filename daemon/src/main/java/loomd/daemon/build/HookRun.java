package loomd.daemon.build;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import loomd.daemon.offload.HookProcess;
import loomd.protocol.drv.Derivation;
import loomd.process.ExitStatus;
import loomd.process.MonitoredProcess;

/**
 * A build the hook accepted (daemon.md §6.3 steps 3 to 6): sends the inputs and the missing outputs,
 * opens the log, traces {@code @ build-started} with the hook's pid, then pumps fd 4 (logged and
 * forwarded) and the hook's stdout/stderr (forwarded only; {@code @ build-remote} comes this way) on
 * virtual threads, under the silence and total limits, until the hook has exited and both pipes are
 * at EOF. The exit code is classified as upstream does: 0 success (outputs the hook registered), 100
 * permanent failure, 101 timeout, anything else {@code @ hook-failed}.
 */
final class HookRun {
    private final BuildServices services;
    private final BuildOptions options;
    private final BuildEvents events;
    private final String drvPath;
    private final Derivation drv;
    private final HookProcess hook;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicBoolean logLimitHit = new AtomicBoolean();
    private final AtomicLong logSize = new AtomicLong();

    HookRun(BuildServices services, BuildOptions options, BuildEvents events, String drvPath, Derivation drv,
            HookProcess hook) {
        this.services = services;
        this.options = options;
        this.events = events;
        this.drvPath = drvPath;
        this.drv = drv;
        this.hook = hook;
    }

    void cancel() {
        if (cancelled.compareAndSet(false, true)) {
            hook.close();
        }
    }

    GoalStatus run(List<String> missing) throws Exception {
        SortedSet<String> inputs = new TreeSet<>(InputClosure.of(services.store, drvPath, drv));
        inputs.addAll(InputClosure.closure(services.store, List.of(drvPath)));
        try {
            hook.sendPaths(inputs, missing);
        } catch (IOException e) {
            hook.close(); // the hook died after its accept: it exits, and the exit says how
        }
        String storeDir = services.store.config().storeDir().path();
        BuildLog log = options.keepLog()
                ? BuildLog.open(services.store.config().logDir(), drvPath.substring(storeDir.length() + 1),
                        options.logCompression())
                : BuildLog.none();
        long pid = hook.pid();
        MonitoredProcess limited = services.monitor.watch(hook.child(), options.limits());
        trace(TraceLines.buildStarted(drvPath, drv.platform(), log.traceName(), pid));
        CompletableFuture<Void> logDone = pump(hook.builderOutput(), limited, log);
        CompletableFuture<Void> diagDone = pump(hook.diagnostics(), limited, null);
        ExitStatus status = limited.onExit().get();
        // A descendant of the hook may keep a pipe open: give it the builder's grace, then close.
        try {
            CompletableFuture.allOf(logDone, diagDone).get(BuilderRun.OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            hook.close();
            CompletableFuture.allOf(logDone, diagDone).handle((v, t) -> null).get();
        } finally {
            log.close();
        }
        return classify(status, pid, new TreeSet<>(InputClosure.of(services.store, drvPath, drv)));
    }

    /** One pump per pipe; {@code log} null for the diagnostics pipe. Reads count as activity. */
    private CompletableFuture<Void> pump(InputStream in, MonitoredProcess limited, BuildLog log) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofVirtual().name("loomd-hook-pump-" + hook.pid()).start(() -> {
            byte[] buffer = new byte[BuilderRun.CHUNK];
            boolean forward = true;
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    limited.activity();
                    if (log != null && !logged(buffer, n, limited, log)) {
                        break;
                    }
                    if (forward) {
                        forward = forward(buffer, n);
                    }
                }
            } catch (IOException e) {
                // closed under us (cancel, grace): the exit status says what happened
            }
            done.complete(null);
        });
        return done;
    }

    private boolean logged(byte[] buffer, int n, MonitoredProcess limited, BuildLog log) throws IOException {
        if (options.maxLogSize() > 0 && logSize.addAndGet(n) > options.maxLogSize()) {
            logLimitHit.set(true);
            limited.kill();
            return false;
        }
        log.write(buffer, 0, n);
        return true;
    }

    private boolean forward(byte[] buffer, int n) {
        try {
            events.log(hook.pid(), buffer, 0, n);
            return true;
        } catch (RuntimeException e) {
            return false; // the client is gone; the build goes on
        }
    }

    private GoalStatus classify(ExitStatus status, long pid, SortedSet<String> inputPaths) {
        if (cancelled.get()) {
            return GoalStatus.MISC_FAILURE;
        }
        if (logLimitHit.get()) {
            events.message(0, TraceLines.logLimitExceeded(drvPath, options.maxLogSize()));
            trace(TraceLines.buildFailedTimeout(drvPath));
            return GoalStatus.TIMED_OUT;
        }
        return switch (status) {
            case ExitStatus.TimedOut t -> {
                TraceLines.timedOut(drvPath, t.limit(), pid, options.printBuildTrace()).forEach(l -> events.message(0, l));
                yield GoalStatus.TIMED_OUT;
            }
            case ExitStatus s when s.success() -> registered(inputPaths);
            case ExitStatus.Exited(int code) when code == 101 -> {
                trace(TraceLines.buildFailedTimeout(drvPath));
                yield GoalStatus.TIMED_OUT;
            }
            case ExitStatus.Exited(int code) when code == 100 -> permanent(status);
            default -> {
                // Upstream prints nothing but the trace for a hook: its own lines said why.
                trace(hookFailed(drvPath, status));
                yield GoalStatus.MISC_FAILURE;
            }
        };
    }

    /** Exit 0: upstream's registerOutputs, a no-op when the hook registered every output (§6.3.6). */
    private GoalStatus registered(SortedSet<String> inputPaths) {
        services.store.queries().seeForeignCommits(); // the hook's rows, not a cached "invalid"
        boolean allValid = drv.outputs().values().stream().allMatch(o -> services.store.queries().isValidPath(o.path()));
        if (!allValid) {
            try {
                services.registrar.register(new OutputRegistrar.Built(drvPath, drv, inputPaths,
                        services.store.config()::physical));
            } catch (BuildFailure f) {
                f.tracesBefore().forEach(this::trace);
                events.message(0, f.getMessage() + "\n");
                trace(TraceLines.buildFailed(drvPath, 1, f.getMessage()));
                return GoalStatus.of(f.kind());
            }
        }
        trace(TraceLines.buildSucceeded(drvPath));
        return GoalStatus.BUILT;
    }

    private GoalStatus permanent(ExitStatus status) {
        String message = TraceLines.builderFailed(drvPath, status);
        trace(TraceLines.buildFailed(drvPath, 1, message));
        boolean fixed = BuildEnvironment.isFixedOutputBuild(drv);
        if (options.cacheFailure() && !fixed) {
            List<String> outs = new ArrayList<>();
            drv.outputs().values().forEach(o -> outs.add(o.path()));
            services.store.queries().registerFailedPaths(outs);
        }
        return fixed ? GoalStatus.TRANSIENT_FAILURE : GoalStatus.PERMANENT_FAILURE;
    }

    /** {@code @ hook-failed DRV - STATUS MESSAGE}, STATUS the raw wait status as upstream prints it. */
    static String hookFailed(String drvPath, ExitStatus status) {
        int raw = switch (status) {
            case ExitStatus.Exited(int code) -> code << 8;
            case ExitStatus.Signaled(int signal, boolean core) -> signal | (core ? 0x80 : 0);
            case ExitStatus.TimedOut t -> 0;
        };
        return "@ hook-failed " + drvPath + " - " + raw + " " + TraceLines.builderFailed(drvPath, status) + "\n";
    }

    private void trace(String line) {
        if (options.printBuildTrace()) {
            events.message(0, line);
        }
    }
}
