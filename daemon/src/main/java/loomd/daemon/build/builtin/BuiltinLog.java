package loomd.daemon.build.builtin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import loomd.daemon.build.BuildLog;
import loomd.daemon.build.BuilderRun;

/**
 * The output of a built-in builder: what upstream's helper would have written to the log pipe goes to
 * the {@link BuildLog} and to the client's sink, in chunks of at most 4096 bytes as a builder's reads.
 * Owned by the run's one thread.
 */
final class BuiltinLog {
    private static final int CHUNK = 4096;

    private final BuildLog log;
    private final BuilderRun.OutputSink sink;
    private final long pid;
    private boolean forward = true;
    private IOException failure;

    BuiltinLog(BuildLog log, BuilderRun.OutputSink sink, long pid) {
        this.log = log;
        this.sink = sink;
        this.pid = pid;
    }

    void print(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int off = 0; off < bytes.length; off += CHUNK) {
            int len = Math.min(CHUNK, bytes.length - off);
            write(bytes, off, len);
        }
    }

    private void write(byte[] bytes, int off, int len) {
        if (failure == null) {
            try {
                log.write(bytes, off, len);
            } catch (IOException e) {
                failure = e;
            }
        }
        if (forward) {
            try {
                sink.chunk(pid, bytes, off, len);
            } catch (RuntimeException e) {
                forward = false; // the client is gone; the download goes on, as a builder's would
            }
        }
    }

    /** Closes the log; the first write or close error, if any. */
    IOException close() {
        try {
            log.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
        return failure;
    }
}
