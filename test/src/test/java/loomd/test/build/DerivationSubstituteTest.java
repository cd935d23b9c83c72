package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.test.substitute.FakeSubstituter;
import loomd.test.support.DaemonFixture;

/**
 * Derivation goals try substitutes for their outputs before building (daemon.md §4.3 steps 2-3):
 * a substitutable output is fetched and the builder never runs; a failed substitute aborts the
 * operation unless {@code --fallback}, which builds instead; {@code allowSubstitutes = "0"} builds.
 */
class DerivationSubstituteTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(FakeSubstituter::install);

    @TempDir
    Path tmp;
    StoreClient client;
    Derivations drvs;

    @BeforeEach
    void setUp() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
                "chroot builds need root here");
        client = daemon.client();
        drvs = new Derivations(daemon.process(), client);
        drvs.addBusybox(tmp);
    }

    FakeSubstituter fake() {
        return FakeSubstituter.of(daemon.process());
    }

    String built(Derivation drv) throws Exception {
        return Files.readString(drvs.physical(drv.outputs().get("out").path()));
    }

    @Test
    void aSubstitutableOutputIsFetchedAndTheBuilderNeverRuns() throws Exception {
        Derivation drv = drvs.make("substitutable", "echo this builder must not run; exit 1");
        String drvPath = drvs.add(drv);
        String out = drv.outputs().get("out").path();
        fake().serveFile(out, "substituted contents\n", List.of(), drvPath);
        assertTrue(client.buildPaths(List.of(drvPath), BuildMode.NORMAL));
        assertEquals("substituted contents\n", built(drv));
        assertEquals(drvPath, client.queryPathInfo(out).deriver());
    }

    @Test
    void aFailedSubstituteAbortsWithoutFallbackAndBuildsWithIt() throws Exception {
        Derivation drv = drvs.make("fallback", "echo built > $out");
        String drvPath = drvs.add(drv);
        String out = drv.outputs().get("out").path();
        fake().serve(out, Map.of("status", "not-found"));
        DaemonException e = assertThrows(DaemonException.class,
                () -> client.buildPaths(List.of(drvPath), BuildMode.NORMAL));
        assertEquals("some substitutes for the outputs of derivation `" + drvPath + "' failed (usually happens due"
                + " to networking issues); try `--fallback' to build derivation from source ", e.getMessage());
        assertFalse(client.isValidPath(out));
        try (StoreClient c = daemon.client()) {
            c.setOptions(BuildOptions.defaults().withFallback(true));
            assertTrue(c.buildPaths(List.of(drvPath), BuildMode.NORMAL));
        }
        assertEquals("built\n", built(drv));
    }

    @Test
    void allowSubstitutesZeroBuilds() throws Exception {
        Derivation drv = drvs.make("local-only", "echo local > $out", List.of("out"), Map.of(),
                Map.of("allowSubstitutes", "0"), null);
        String drvPath = drvs.add(drv);
        fake().serveFile(drv.outputs().get("out").path(), "from the substituter\n", List.of(), drvPath);
        assertTrue(client.buildPaths(List.of(drvPath), BuildMode.NORMAL));
        assertEquals("local\n", built(drv));
    }
}
