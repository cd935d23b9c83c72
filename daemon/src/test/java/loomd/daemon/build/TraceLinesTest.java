package loomd.daemon.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
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

    @Test
    void buildSimpleSendsStartedLogFramesAndSucceeded() throws Exception {
        String drv = "/gnu/store/xxjcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv";
        List<String> next = nextStrings(transcript("17-build-simple"));
        assertEquals(TraceLines.buildStarted(drv, "x86_64-linux",
                "/gnu/log/drvs/xx//jcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv.gz", 10365), next.getFirst());
        assertEquals("out-line-1\nerr-line-1\nout-line-2\nerr-line-2\n", builderOutput(next, 10365));
        assertEquals(TraceLines.buildSucceeded(drv), next.getLast());
    }

    @Test
    void buildFailingSendsTheMessageThenTheTrace() throws Exception {
        String drv = "/gnu/store/v1wfvwrbvq7mi008ikis9ldwhmmpwfvd-build-failing.drv";
        List<String> next = nextStrings(transcript("18-build-failing"));
        assertEquals(TraceLines.buildStarted(drv, "x86_64-linux",
                "/gnu/log/drvs/v1//wfvwrbvq7mi008ikis9ldwhmmpwfvd-build-failing.drv.gz", 10541), next.getFirst());
        assertEquals("about to fail\nfailing now\n", builderOutput(next, 10541));
        assertEquals(TraceLines.builderFailedLines(drv, new ExitStatus.Exited(1), true), next.subList(next.size() - 2, next.size()));
    }

    @Test
    void silenceTimeoutSendsMessageTraceAndKill() throws Exception {
        String drv = "/gnu/store/34x86mli35wzzw47bdi7qh37pdzqlb6b-silent.drv";
        List<String> next = nextStrings(transcript("24-build-max-silent-time"));
        assertEquals(TraceLines.buildStarted(drv, "x86_64-linux",
                "/gnu/log/drvs/34//x86mli35wzzw47bdi7qh37pdzqlb6b-silent.drv.gz", 11426), next.getFirst());
        assertEquals("going quiet\n", builderOutput(next, 11426));
        assertEquals(TraceLines.timedOut(drv, new TimeLimit.Silence(Duration.ofSeconds(1)), 11426, true),
                next.subList(next.size() - 3, next.size()));
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
