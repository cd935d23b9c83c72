package loomd.daemon.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import loomd.process.ExitStatus;
import loomd.process.TimeLimit;
import loomd.protocol.client.Transcript;

/** Each line byte for byte against what upstream sent in the build transcripts (17, 18, 24). */
class TraceLinesTest {
    static final long STDERR_NEXT = 0x6f6c6d67L;

    static Transcript transcript(String name) throws Exception {
        return Transcript.parse(Path.of(System.getProperty("loomd.shared", "/work/shared"), "spec", "transcripts", name + ".txt"));
    }

    /**
     * Every STDERR_NEXT string of the daemon's stream that follows the build-things request: the
     * replies before it (handshake, set-options) are only STDERR_LAST frames, skipped as 8 bytes each.
     */
    static List<String> nextStrings(Transcript t) {
        ByteBuffer b = ByteBuffer.wrap(t.daemonBytes()).order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (b.remaining() >= 8) {
            long word = b.getLong();
            if (word == STDERR_NEXT) {
                int len = (int) b.getLong();
                byte[] s = new byte[len];
                b.get(s);
                b.position(b.position() + ((8 - len % 8) % 8));
                out.add(new String(s, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** The @ build-log frames of a stream joined: the builder's output, whatever the chunking. */
    static String builderOutput(List<String> next, long pid) {
        StringBuilder sb = new StringBuilder();
        for (String s : next) {
            String header = s.substring(0, s.indexOf('\n') + 1);
            if (header.startsWith("@ build-log ")) {
                String body = s.substring(header.length());
                assertEquals(TraceLines.buildLogHeader(pid, body.getBytes(StandardCharsets.UTF_8).length), header);
                sb.append(body);
            }
        }
        return sb.toString();
    }

    /**
     * The STDERR_NEXT strings of {@code name}, after checking that the first is the build-started
     * trace of {@code drv} (its log under /gnu/log, upstream's double slash) and that the @ build-log
     * frames carry {@code output}.
     */
    static List<String> startedThenLogged(String name, String drv, long pid, String output) throws Exception {
        List<String> next = nextStrings(transcript(name));
        String base = drv.substring("/gnu/store/".length());
        assertEquals(TraceLines.buildStarted(drv, "x86_64-linux",
                "/gnu/log/drvs/" + base.substring(0, 2) + "//" + base.substring(2) + ".gz", pid), next.getFirst());
        assertEquals(output, builderOutput(next, pid));
        return next;
    }

    static <T> List<T> last(List<T> list, int n) {
        return list.subList(list.size() - n, list.size());
    }

    @Test
    void buildSimpleSendsStartedLogFramesAndSucceeded() throws Exception {
        String drv = "/gnu/store/xxjcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv";
        var next = startedThenLogged("17-build-simple", drv, 10365, "out-line-1\nerr-line-1\nout-line-2\nerr-line-2\n");
        assertEquals(List.of(TraceLines.buildSucceeded(drv)), last(next, 1));
    }

    @Test
    void buildFailingSendsTheMessageThenTheTrace() throws Exception {
        String drv = "/gnu/store/v1wfvwrbvq7mi008ikis9ldwhmmpwfvd-build-failing.drv";
        var next = startedThenLogged("18-build-failing", drv, 10541, "about to fail\nfailing now\n");
        assertEquals(TraceLines.builderFailedLines(drv, new ExitStatus.Exited(1), true), last(next, 2));
    }

    @Test
    void silenceTimeoutSendsMessageTraceAndKill() throws Exception {
        String drv = "/gnu/store/34x86mli35wzzw47bdi7qh37pdzqlb6b-silent.drv";
        var next = startedThenLogged("24-build-max-silent-time", drv, 11426, "going quiet\n");
        assertEquals(TraceLines.timedOut(drv, new TimeLimit.Silence(Duration.ofSeconds(1)), 11426, true), last(next, 3));
    }

    @Test
    void otherTextsFollowTheSpec() {
        String drv = "/gnu/store/34x86mli35wzzw47bdi7qh37pdzqlb6b-silent.drv";
        assertEquals("building of `" + drv + "' timed out after 7 seconds\n",
                TraceLines.timedOut(drv, new TimeLimit.WallClock(Duration.ofSeconds(7)), 1, false).getFirst());
        assertEquals("builder for `" + drv + "' failed due to signal 9 (Killed)",
                TraceLines.builderFailed(drv, new ExitStatus.Signaled(9, false)));
        assertEquals("building of `" + drv + "' killed after writing more than 1024 bytes of log output\n",
                TraceLines.logLimitExceeded(drv, 1024));
        assertEquals("@ build-failed " + drv + " - cached\n", TraceLines.buildFailedCached(drv));
        assertEquals("@ build-failed " + drv + " - 0 odd number of tokens\n", TraceLines.buildFailed(drv, 0, "odd number of tokens"));
        assertEquals("@ hash-mismatch /gnu/store/x-y r:sha256 abc def\n", TraceLines.hashMismatch("/gnu/store/x-y", "r:sha256", "abc", "def"));
        assertEquals("Segmentation fault", Signals.describe(11));
        assertEquals("Real-time signal 2", Signals.describe(36));
    }

    @Test
    void theLogFileTraceNameOfARealLogHasTheDoubleSlash(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        try (BuildLog log = BuildLog.open(dir, "34x86mli35wzzw47bdi7qh37pdzqlb6b-silent.drv", loomd.daemon.Settings.LogCompression.GZIP)) {
            assertTrue(TraceLines.buildStarted("/d", "x86_64-linux", log.traceName(), 5)
                    .endsWith("/drvs/34//x86mli35wzzw47bdi7qh37pdzqlb6b-silent.drv.gz 5\n"));
        }
    }
}
