package loomd.daemon.substitute.nativ;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import loomd.daemon.Settings;
import loomd.daemon.substitute.FetchListener;

/**
 * Runs one {@link NarTransfer} on a virtual thread while the caller's thread watches it: the client's
 * hang-up ({@link FetchListener#checkCancelled}), {@code build-timeout} and {@code build-max-silent-time}
 * (no byte received for that long), as upstream times out a substituter. To stop a transfer its thread
 * is interrupted, unless it is already installing (a short local step that is left to finish), and
 * awaited, so that its staged tree is gone before the caller goes on.
 */
final class TransferWatch {
    private static final long PROBE_MILLIS = 100;

    private TransferWatch() {
    }

    static NativeSubstituter.Fetched run(NarTransfer transfer, Narinfo n, Settings settings, boolean repair,
            FetchListener l) throws InterruptedException {
        DownloadTraces traces = DownloadTraces.of(settings, n, l);
        AtomicLong progress = new AtomicLong();
        AtomicBoolean installing = new AtomicBoolean();
        CompletableFuture<NarTransfer.Attempt> done = new CompletableFuture<>();
        Thread worker = Thread.ofVirtual().name("loomd-nar-" + n.storePath().hashCode()).start(() -> {
            try {
                done.complete(transfer.run(n, progress, () -> {
                    installing.set(true);
                    traces.finished(progress.get());
                }, repair));
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        traces.started();
        long start = System.nanoTime();
        long lastSeen = 0;
        long lastChange = start;
        while (true) {
            try {
                NarTransfer.Attempt a = done.get(PROBE_MILLIS, TimeUnit.MILLISECONDS);
                traces.flush();
                return outcome(n, a);
            } catch (TimeoutException e) {
                long now = System.nanoTime();
                if (progress.get() != lastSeen) {
                    lastSeen = progress.get();
                    lastChange = now;
                    traces.progress(lastSeen);
                }
                try {
                    l.checkCancelled();
                } catch (RuntimeException cancelled) {
                    stop(worker, installing);
                    throw cancelled;
                }
                if (over(now - start, settings.buildTimeout) || over(now - lastChange, settings.maxSilentTime)) {
                    stop(worker, installing);
                    return new NativeSubstituter.Fetched.TimedOut();
                }
            } catch (ExecutionException e) {
                return new NativeSubstituter.Fetched.Failed("network-error", "download from '" + n.narUri()
                        + "' failed: " + e.getCause());
            } catch (InterruptedException e) {
                stop(worker, installing);
                throw e;
            }
        }
    }

    private static NativeSubstituter.Fetched outcome(Narinfo n, NarTransfer.Attempt a) {
        return switch (a) {
            case NarTransfer.Attempt.Installed i -> new NativeSubstituter.Fetched.Installed(n.narUri().toString(),
                    i.compressedBytes());
            case NarTransfer.Attempt.Mismatch m -> new NativeSubstituter.Fetched.Failed(m.status(), m.why());
            case NarTransfer.Attempt.NetworkError e -> new NativeSubstituter.Fetched.Failed("network-error", e.message());
        };
    }

    private static void stop(Thread worker, AtomicBoolean installing) {
        if (!installing.get()) worker.interrupt();
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private static boolean over(long elapsedNanos, long limitSeconds) {
        return limitSeconds > 0 && elapsedNanos > limitSeconds * 1_000_000_000L;
    }
}
