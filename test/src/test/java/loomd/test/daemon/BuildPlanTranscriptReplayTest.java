package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.StoreClient;
import loomd.protocol.client.Transcript;
import loomd.protocol.drv.Derivation;
import loomd.test.build.Derivations;
import loomd.test.substitute.FakeSubstituter;
import loomd.test.support.DaemonFixture;

/**
 * Transcript 25 replayed byte for byte: the client's build plan for a derivation whose one input
 * (17's) is built. The client asks {@code valid-path?} and {@code query-substitutable-path-infos};
 * the stand-in {@code guix substitute} gives the real one's two warnings and no substitute.
 */
class BuildPlanTranscriptReplayTest {
    static final String SIMPLE = "echo out-line-1; echo err-line-1 >&2; echo out-line-2; echo err-line-2 >&2; echo built > $out";

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> FakeSubstituter.install(b).args("--no-offload"));

    @TempDir
    Path tmp;

    @Test
    void t25BuildPlan() throws Exception {
        Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "chroot builds need root here");
        try (StoreClient direct = daemon.client()) {
            Derivations drvs = new Derivations(daemon.process(), direct);
            drvs.addBusybox(tmp);
            Derivation simple = drvs.make("build-simple", SIMPLE);
            String simpleDrv = drvs.add(simple);
            assertTrue(direct.buildPaths(List.of(simpleDrv), BuildMode.NORMAL));
            String simpleOut = simple.outputs().get("out").path();
            Derivation uses = drvs.make("uses-input", "cat " + simpleOut + " > $out", List.of("out"),
                    Map.of(simpleDrv, List.of("out")), Map.of(), null);
            assertEquals("/gnu/store/xdy63r9cic24jham4b6zbq1h4k7zdjaq-uses-input.drv", drvs.add(uses),
                    "the recorded derivation");
        }
        Path file = Path.of(System.getProperty("loomd.shared"), "spec", "transcripts", "25-build-plan.txt");
        assertTrue(Files.exists(file));
        DaemonTranscriptReplayTest.replayOn(daemon.process(), Transcript.parse(file));
    }
}
