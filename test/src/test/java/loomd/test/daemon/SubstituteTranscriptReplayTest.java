package loomd.test.daemon;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.Transcript;
import loomd.test.substitute.FakeSubstituter;
import loomd.test.support.DaemonFixture;

/**
 * Transcript 28 (query, info and a fetch through {@code guix substitute} from a {@code file://} cache)
 * replayed byte for byte against the daemon, the stand-in {@code guix substitute} playing the real
 * one's part: the same warnings at start and per request, the same download traces, one write each.
 */
class SubstituteTranscriptReplayTest {
    static final String OUT = "/gnu/store/4nd6h8r784r2lzqq2640rg025n0ny6g1-substitutable";
    static final String DRV = "/gnu/store/rhnffybxfniflgfhgr4l1mpl5si1la3g-substitutable.drv";
    static final String NAR = "file:/gnu/var/substituter-data/example.nar";

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(FakeSubstituter::install);

    @Test
    void t28Substitutes() throws Exception {
        FakeSubstituter.of(daemon.process()).serve(OUT, Map.of(
                "deriver", DRV, "references", List.of(), "downloadSize", 0, "narSize", 1234,
                "contents", "substituted contents\n",
                "writes", List.of("@ download-started {path} " + NAR + " 136\n",
                        "@ download-progress {path} " + NAR + " 136 136\n",
                        "@ download-progress {path} " + NAR + " 136 136\n",
                        "@ download-succeeded {path} " + NAR + " 136\n",
                        "\n")));
        Path file = Path.of(System.getProperty("loomd.shared"), "spec", "transcripts", "28-substitutes.txt");
        DaemonTranscriptReplayTest.replayOn(daemon.process(), Transcript.parse(file));
    }
}
