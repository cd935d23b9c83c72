package loomd.daemon.build.builtin;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import loomd.daemon.build.BuildLog;
import loomd.daemon.build.BuildOutcome;
import loomd.daemon.build.BuilderRun;
import loomd.daemon.build.RunningBuild;
import loomd.process.ExitStatus;
import loomd.process.TimeLimit;

/**
 * One run of a built-in builder (daemon.md §4.14) in the daemon itself, on a virtual thread of its
 * own: no Guile, no child process, so it also works under a root daemon, where upstream's helper
 * refuses to run. It writes what upstream's helper would print to the build log, writes the output
 * at the place the goal says, and ends in a {@link BuildOutcome} like a builder: the goal then checks
 * and registers the output through the same path as any build (the fixed-output hash included).
 * Errors are upstream's {@code error: MESSAGE} in the log and exit status 1.
 *
 * <p>A download that only Guile can finish ({@code content-addressed-mirrors} procedures) is handed
 * to {@code guix perform-download} as upstream does, when {@code guix} is installed
 * ({@link GuileFallback}); the run then follows that process.
 */
public final class BuiltinRun implements RunningBuild {
    private final BuiltinContext context;
    private final BuildLog log;
    private final BuilderRun.OutputSink sink;
    private final CompletableFuture<Long> started = new CompletableFuture<>();
    private final CompletableFuture<BuildOutcome> outcome = new CompletableFuture<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicReference<TimeLimit> timedOut = new AtomicReference<>();
    private final AtomicReference<RunningBuild> delegate = new AtomicReference<>();
    private volatile Thread thread;

    private BuiltinRun(BuiltinContext context, BuildLog log, BuilderRun.OutputSink sink) {
        this.context = context;
        this.log = log;
        this.sink = sink;
    }

    /** Starts the builder of {@code context}; the log is owned by the run from now on. */
    public static BuiltinRun start(BuiltinContext context, BuildLog log, BuilderRun.OutputSink sink) {
        BuiltinRun run = new BuiltinRun(context, log, sink);
        run.thread = Thread.ofVirtual().name("loomd-builtin").start(run::body);
        context.limits().wallClock().ifPresent(limit -> CompletableFuture.delayedExecutor(
                limit.duration().toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                    if (!run.outcome.isDone() && run.timedOut.compareAndSet(null, limit)) {
                        run.stop();
                    }
                }));
        return run;
    }

    @Override
    public CompletableFuture<Long> started() {
        return started;
    }

    @Override
    public CompletableFuture<BuildOutcome> outcome() {
        return outcome;
    }

    @Override
    public void cancel() {
        if (cancelled.compareAndSet(false, true)) {
            stop();
        }
    }

    private void stop() {
        RunningBuild d = delegate.get();
        if (d != null) {
            d.cancel();
        }
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    private void body() {
        long pid = ProcessHandle.current().pid();
        started.complete(pid);
        BuiltinLog out = new BuiltinLog(log, sink, pid);
        BuildOutcome result;
        try {
            if (cancelled.get()) {
                throw new InterruptedException();
            }
            result = switch (context.name()) {
                case "download" -> download(out);
                case "git-download" -> gitDownload(out);
                default -> throw new BuiltinError("unsupported builtin function '" + context.name() + "'");
            };
        } catch (InterruptedException | InterruptedIOException | ClosedByInterruptException e) {
            result = stopped();
        } catch (BuiltinError | IOException | RuntimeException e) {
            // an interrupted read may surface as any I/O error: the flags say whether we were stopped
            result = cancelled.get() || timedOut.get() != null ? stopped() : error(out, e);
        }
        if (result == null) {
            return; // handed over to guix perform-download, which completes the outcome
        }
        if (cancelled.get() || timedOut.get() != null) {
            result = stopped(); // a stop may also show as a failed URL: whatever the fetch made of it
        }
        IOException logError = out.close();
        if (logError != null) {
            outcome.completeExceptionally(new IOException("writing the build log failed", logError));
        } else {
            outcome.complete(result);
        }
    }

    private BuildOutcome stopped() {
        TimeLimit limit = timedOut.get();
        return limit != null ? new BuildOutcome.TimedOut(limit) : new BuildOutcome.Cancelled();
    }

    private static BuildOutcome failed() {
        return new BuildOutcome.Failed(new ExitStatus.Exited(1));
    }

    private static BuildOutcome error(BuiltinLog out, Exception e) {
        out.print("error: " + (e.getMessage() == null || e instanceof RuntimeException ? e.toString() : e.getMessage())
                + "\n");
        return failed();
    }

    /** Null when the run was handed over to {@code guix perform-download}. */
    private BuildOutcome download(BuiltinLog out) throws BuiltinError, IOException, InterruptedException {
        DownloadRequest request = DownloadRequest.of(context.drvPath(), context.drv(), context.store().config()::physical);
        Path target = context.output();
        Optional<String> copied = StoreShortcut.copy(context.store(), request.out(), shortcutNames(request), target);
        if (copied.isPresent()) {
            out.print("copying `" + copied.get() + "', already in the store with the expected content, to `"
                    + request.out().path() + "'\n");
            return downloaded(request, target);
        }
        UrlFetch fetch = new UrlFetch(request, target, out);
        if (request.upstream() && fetch.run()) {
            return downloaded(request, target);
        }
        if (!request.guileOnly().isEmpty()) {
            Optional<String> guix = GuileFallback.guixProgram(context);
            if (guix.isEmpty()) {
                throw new BuiltinError("cannot download `" + request.out().path() + "' from its "
                        + String.join(" or ", request.guileOnly()) + ": that needs Guile (`guix perform-download'),"
                        + " and no `guix' program is installed");
            }
            out.print("trying " + String.join(" and ", request.guileOnly()) + " with `" + guix.get()
                    + " perform-download'\n");
            RunningBuild helper = GuileFallback.start(context, guix.get(), log, sink);
            delegate.set(helper);
            if (cancelled.get() || timedOut.get() != null) {
                helper.cancel();
            }
            helper.outcome().whenComplete((o, e) -> {
                if (e != null) {
                    outcome.completeExceptionally(e);
                } else {
                    outcome.complete(o instanceof BuildOutcome.Cancelled && timedOut.get() != null
                            ? new BuildOutcome.TimedOut(timedOut.get()) : o);
                }
            });
            return null;
        }
        out.print(fetch.failureMessage());
        return failed();
    }

    private BuildOutcome downloaded(DownloadRequest request, Path target) throws IOException {
        if (request.executable()) {
            Files.setAttribute(target, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
        }
        return new BuildOutcome.Succeeded();
    }

    /** The output's own name, and each URL's base name (what {@code guix download URL} stores it under). */
    private java.util.List<String> shortcutNames(DownloadRequest request) {
        java.util.List<String> names = new java.util.ArrayList<>();
        String out = request.out().path();
        names.add(out.substring(out.lastIndexOf('/') + 1 + 33));
        for (var uri : request.uris()) {
            String raw = uri.getRawPath();
            if (raw != null && !raw.endsWith("/")) {
                names.add(raw.substring(raw.lastIndexOf('/') + 1));
                names.add(uri.getPath().substring(uri.getPath().lastIndexOf('/') + 1));
            }
        }
        return names;
    }

    private BuildOutcome gitDownload(BuiltinLog out) throws BuiltinError, IOException {
        DownloadRequest.FixedOutput fixed = DownloadRequest.FixedOutput.of(context.drvPath(), context.drv());
        GitFetch.Request request = GitFetch.Request.of(context.drvPath(), context.drv());
        String name = fixed.path().substring(fixed.path().lastIndexOf('/') + 1 + 33);
        Optional<String> copied = StoreShortcut.copy(context.store(), fixed, java.util.List.of(name), context.output());
        if (copied.isPresent()) {
            out.print("copying `" + copied.get() + "', already in the store with the expected content, to `"
                    + fixed.path() + "'\n");
            return new BuildOutcome.Succeeded();
        }
        GitFetch.fetch(request, context.output(), out);
        return new BuildOutcome.Succeeded();
    }
}
