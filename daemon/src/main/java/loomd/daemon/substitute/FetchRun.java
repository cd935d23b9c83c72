package loomd.daemon.substitute;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One {@code substitute <path> <destination>} exchange with a fetching helper (daemon.md §5.3 steps
 * 5 and 6): the request line, then the helper's output relayed to the listener until the status line
 * arrives on fd 4 (read whole, however it was split: §9.30) or the helper dies (empty status). Runs
 * on the caller's thread, which polls the listener's cancellation probe while it waits.
 */
final class FetchRun {
    private static final Object EOF = new Object();
    private static final long PROBE_MILLIS = 100;

    private FetchRun() {
    }

    /** What {@link #run} returns when the helper overran a time limit (it is then to be killed). */
    static final String TIMED_OUT = "\0timeout";

    /**
     * The status line, or "" when the helper died first, or {@link #TIMED_OUT} when it ran longer than
     * {@code timeoutSeconds} or stayed silent for {@code silenceSeconds} (0: no limit), as upstream's
     * build slots time out a substituter.
     */
    static String run(HelperProcess helper, String path, String destination, FetchListener listener,
            long timeoutSeconds, long silenceSeconds) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long lastOutput = start;
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        helper.route(chunk -> events.add(chunk));
        Thread.ofVirtual().name("loomd-substitute-status-" + helper.pid()).start(() -> {
            try {
                String status = helper.readReplyLine();
                events.add(status == null ? EOF : status);
            } catch (IOException e) {
                events.add(EOF);
            }
        });
        helper.send("substitute " + path + " " + destination + "\n");
        while (true) {
            Object e = events.poll(PROBE_MILLIS, TimeUnit.MILLISECONDS);
            long now = System.nanoTime();
            if (e == null) {
                listener.checkCancelled();
                if (over(now - start, timeoutSeconds) || over(now - lastOutput, silenceSeconds)) return TIMED_OUT;
            } else if (e instanceof byte[] chunk) {
                lastOutput = now;
                listener.output(chunk);
            } else {
                helper.settleDiagnostics();
                helper.route(null);
                for (Object rest : events) {
                    if (rest instanceof byte[] chunk) listener.output(chunk);
                }
                return e == EOF ? "" : (String) e;
            }
        }
    }

    private static boolean over(long elapsedNanos, long limitSeconds) {
        return limitSeconds > 0 && elapsedNanos > limitSeconds * 1_000_000_000L;
    }
}
