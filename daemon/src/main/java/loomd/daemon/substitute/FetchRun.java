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

    /** The status line, or "" when the helper died first; further fd 4 lines are reported, as upstream. */
    static String run(HelperProcess helper, String path, String destination, FetchListener listener)
            throws IOException, InterruptedException {
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
            if (e == null) {
                listener.checkCancelled();
            } else if (e instanceof byte[] chunk) {
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
}
