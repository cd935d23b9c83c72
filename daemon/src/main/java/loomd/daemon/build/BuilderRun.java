package loomd.daemon.build;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import loomd.process.ExitStatus;
import loomd.process.Limits;
import loomd.process.MonitoredProcess;
import loomd.process.ProcessMonitor;
import loomd.spawner.Output;
import loomd.spawner.SpawnError;
import loomd.spawner.SpawnException;
import loomd.spawner.SpawnRequest;
import loomd.spawner.Spawner;

/**
 * One run of one builder (daemon.md §4.10 to §4.12): spawns it through the spawner, pumps its output
 * into the {@link BuildLog} and the caller's {@link OutputSink}, applies the time limits (through the
 * process monitor) and the log size limit, and ends in one {@link BuildOutcome}. Threads: see the
 * package documentation; nothing here waits on the spawner link's reader thread.
 */
public final class BuilderRun implements RunningBuild {
    /** How long the output may stay open after the builder's exit (an escaped descendant holding the pipe). */
    public static final Duration OUTPUT_GRACE = Duration.ofSeconds(1);
    /** Upstream's read size: each chunk becomes one {@code @ build-log} frame. */
    static final int CHUNK = 4096;

    /** Receives each chunk of builder output, on the pump thread, in order. */
    @FunctionalInterface
    public interface OutputSink {
        void chunk(long pid, byte[] data, int off, int len);

        OutputSink DISCARD = (pid, data, off, len) -> { };
    }

    private final BuildLog log;
    private final OutputSink sink;
    private final long maxLogSize;
    private final CompletableFuture<Long> started = new CompletableFuture<>();
    private final CompletableFuture<BuildOutcome> outcome = new CompletableFuture<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicBoolean logLimitHit = new AtomicBoolean();
    private final AtomicReference<MonitoredProcess> process = new AtomicReference<>();

    private BuilderRun(BuildLog log, OutputSink sink, long maxLogSize) {
        this.log = log;
        this.sink = sink;
        this.maxLogSize = maxLogSize;
    }

    /**
     * Starts the builder of {@code request} (its output is set to a fresh pipe here). The log is owned by
     * the run from now on and closed before the outcome completes.
     *
     * @param maxLogSize {@code build-max-log-size}, 0 for none
     */
    public static BuilderRun start(Spawner spawner, ProcessMonitor monitor, SpawnRequest.Builder request,
            BuildLog log, Limits limits, long maxLogSize, OutputSink sink) {
        BuilderRun run = new BuilderRun(log, sink, maxLogSize);
        SpawnRequest built;
        try {
            built = request.output(Output.CAPTURE).build();
        } catch (IllegalArgumentException e) {
            run.notRun(new BuildOutcome.SetupError(e.getMessage(), Optional.empty()), e);
            return run;
        }
        spawner.spawn(built).whenComplete((child, error) -> {
            if (error != null) {
                run.spawnFailed(error);
            } else {
                run.running(monitor.watch(child, limits));
            }
        });
        return run;
    }

    /** Completes with the builder's pid (as the daemon sees it) once it has exec'd; fails if it never ran. */
    @Override
    public CompletableFuture<Long> started() {
        return started;
    }

    /** Completes once, after the exit status and the end of the output are both known and the log is closed. */
    @Override
    public CompletableFuture<BuildOutcome> outcome() {
        return outcome;
    }

    /** Kills the builder's process group (at once, or as soon as it has started). Any thread, any number of times. */
    @Override
    public void cancel() {
        if (cancelled.compareAndSet(false, true)) {
            MonitoredProcess p = process.get();
            if (p != null) {
                p.kill();
            }
        }
    }

    private void spawnFailed(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof SpawnException se && se.error() instanceof SpawnError.ExecFailure exec) {
            // Upstream's SysError text: strerror alone, without the errno number loomd's own messages carry.
            String text = new loomd.posix.PosixException("execve", exec.errno()).errorText();
            byte[] line = ("while setting up the build environment: executing `" + exec.path() + "': " + text + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            try {
                log.write(line, 0, line.length);
            } catch (IOException e) {
                // the outcome below says what happened; a log that cannot be written adds nothing
            }
            notRun(new BuildOutcome.ExecFailed(new String(line, StandardCharsets.UTF_8)), cause);
            return;
        }
        BuildOutcome.SetupError setup = cause instanceof SpawnException se && se.error() instanceof SpawnError.SetupFailure f
                ? new BuildOutcome.SetupError(f.message(), Optional.of(f.step()))
                : new BuildOutcome.SetupError(cause.getMessage(), Optional.empty());
        notRun(setup, cause);
    }

    private void notRun(BuildOutcome result, Throwable cause) {
        started.completeExceptionally(cause);
        closeLog();
        outcome.complete(result);
    }

    /** Runs on the spawner link's reader thread: hand over and return. */
    private void running(MonitoredProcess child) {
        process.set(child);
        if (cancelled.get()) {
            child.kill();
        }
        CompletableFuture<Void> outputDone = new CompletableFuture<>();
        InputStream output = child.output();
        Thread.ofVirtual().name("loomd-build-pump-" + child.pid()).start(() -> pump(child, output, outputDone));
        started.complete(child.pid());
        child.onExit().whenComplete((status, error) -> CompletableFuture.delayedExecutor(
                OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                    if (!outputDone.isDone()) {
                        closeQuietly(output);
                    }
                }));
        child.onExit().handle((status, error) -> error)
                .thenCombine(outputDone.handle((v, error) -> error), (exitError, outputError) -> {
                    finish(child, exitError, outputError);
                    return null;
                });
    }

    /** The pump: reads until EOF (or until the grace closes the pipe), logs, forwards, counts. */
    private void pump(MonitoredProcess child, InputStream output, CompletableFuture<Void> done) {
        byte[] buffer = new byte[CHUNK];
        long total = 0;
        boolean forward = true;
        try (output) {
            for (int n; (n = output.read(buffer)) > 0; ) {
                total += n;
                if (maxLogSize > 0 && total > maxLogSize) {
                    logLimitHit.set(true);
                    child.kill();
                    break;
                }
                log.write(buffer, 0, n);
                if (forward) {
                    forward = forward(child.pid(), buffer, n);
                }
            }
            done.complete(null);
        } catch (IOException e) {
            if (child.onExit().isDone()) {
                done.complete(null); // the grace closed the pipe under us
            } else {
                child.kill();
                done.completeExceptionally(e);
            }
        }
    }

    /** A sink that throws (its client is gone) is not called again; the build itself goes on. */
    private boolean forward(long pid, byte[] buffer, int n) {
        try {
            sink.chunk(pid, buffer, 0, n);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void finish(MonitoredProcess child, Throwable exitError, Throwable outputError) {
        IOException logError = closeLog();
        if (outputError != null || logError != null) {
            IOException e = new IOException("writing the build log failed", outputError != null ? outputError : logError);
            outcome.completeExceptionally(e);
            return;
        }
        if (exitError != null) {
            Throwable cause = exitError instanceof CompletionException c && c.getCause() != null ? c.getCause() : exitError;
            outcome.complete(new BuildOutcome.Lost(cause.getMessage()));
            return;
        }
        outcome.complete(classify(child.onExit().join()));
    }

    private BuildOutcome classify(ExitStatus status) {
        if (cancelled.get()) {
            return new BuildOutcome.Cancelled();
        }
        if (logLimitHit.get()) {
            return new BuildOutcome.LogLimitExceeded(maxLogSize);
        }
        return switch (status) {
            case ExitStatus.TimedOut t -> new BuildOutcome.TimedOut(t.limit());
            case ExitStatus s when s.success() -> new BuildOutcome.Succeeded();
            default -> new BuildOutcome.Failed(status);
        };
    }

    private IOException closeLog() {
        try {
            log.close();
            return null;
        } catch (IOException e) {
            return e;
        } catch (UncheckedIOException e) {
            return e.getCause();
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // only unblocks the pump
        }
    }
}
