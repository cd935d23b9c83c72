package loomd.daemon.substitute.nativ;

import java.nio.charset.StandardCharsets;

import loomd.daemon.Settings;
import loomd.daemon.substitute.FetchListener;

/**
 * The {@code @ download-started/-progress/-succeeded} lines {@code guix substitute} prints while it
 * fetches a NAR (guix/progress.scm's trace reporter), made by the native substituter: the store path,
 * the NAR's URL, its download size ({@code FileSize}, {@code -} when unknown) and the compressed bytes
 * received. They go out as the helper's output would (raw, at the build verbosity), and only when the
 * session asked for extended build traces, as the helper decides from {@code _NIX_OPTIONS}. Every line
 * is written by the thread watching the transfer; the transfer only records that it finished.
 */
final class DownloadTraces {
    private final FetchListener l;
    private final String head;
    private final long size;
    private volatile long finished = -1;

    private DownloadTraces(FetchListener l, String head, long size) {
        this.l = l;
        this.head = head;
        this.size = size;
    }

    /** Traces for {@code n}, or none when the session did not ask for them. */
    static DownloadTraces of(Settings settings, Narinfo n, FetchListener l) {
        String path = n.storePath() + " " + n.narUri();
        return new DownloadTraces(extended(settings) ? l : null, path, n.fileSize());
    }

    /** As the helper reads it: the untrusted form first, any number above zero. */
    static boolean extended(Settings settings) {
        String v = settings.get("untrusted-print-extended-build-trace", "");
        if (v.isEmpty()) v = settings.get("print-extended-build-trace", "");
        try {
            return Long.parseLong(v.strip()) > 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private String size() {
        return size > 0 ? Long.toString(size) : "-";
    }

    void started() {
        emit("@ download-started " + head + " " + size());
    }

    void progress(long transferred) {
        emit("@ download-progress " + head + " " + size() + " " + transferred);
    }

    /** Called by the transfer when the whole NAR is in (before it is installed). */
    void finished(long total) {
        finished = total;
    }

    /** The closing lines, once the transfer is over, if it received the whole NAR. */
    void flush() {
        long total = finished;
        if (total < 0) return;
        long end = size > 0 ? size : total;
        progress(end);
        emit("@ download-succeeded " + head + " " + end);
    }

    private void emit(String line) {
        if (l != null) l.output((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
