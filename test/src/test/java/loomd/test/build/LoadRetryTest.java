package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.DaemonException;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonFixture;

/**
 * Beyond upstream: a builder that fails while the machine is loaded is run once more with
 * {@code NIX_BUILD_CORES=1}. The load comes from the file given as {@code --load-signal}, which each
 * test writes before its build; the daemon reads it when a builder fails.
 */
class LoadRetryTest {
    static final String QUIET = "0.00 0.00 0.00 1/100 4242\n";
    static final String LOADED = "1000.00 900.00 800.00 5/100 4242\n";
    static final String MEMORY_PRESSURE = QUIET + "some avg10=55.00 avg60=10.00 avg300=2.00 total=123\n"
            + "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    /** Fails unless it has exactly one core, saying how many it had. */
    static final String NEEDS_ONE_CORE = "echo cores=$NIX_BUILD_CORES; [ \"$NIX_BUILD_CORES\" = 1 ] || exit 1; "
            + "echo $NIX_BUILD_CORES > $out";

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> b.args("--retry-under-load",
            "--load-signal=" + b.root().resolve("load")));
    @RegisterExtension
    static final DaemonFixture retryOff = new DaemonFixture(b -> b.args("--retry-under-load=no",
            "--load-signal=" + b.root().resolve("load")));

    @TempDir
    Path tmp;
    BuildSession s;

    @AfterEach
    void tearDown() throws Exception {
        if (s != null) s.close();
    }

    private BuildSession session(DaemonFixture d, String load, int cores) throws Exception {
        Files.writeString(d.process().root().resolve("load"), load);
        s = BuildSession.withBusybox(d, tmp);
        s.options(o -> o.withBuildCores(cores));
        return s;
    }

    @Test
    void aFailureUnderLoadIsBuiltAgainWithOneCore() throws Exception {
        session(daemon, LOADED, 2);
        Derivation d = s.drvs.make("retried", NEEDS_ONE_CORE);
        String drv = s.drvs.add(d);
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        String out = d.outputs().get("out").path();
        assertEquals("1\n", Files.readString(s.drvs.physical(out)));
        assertEquals("cores=2\ncores=1\n", s.builderOutput());
        int cpus = Runtime.getRuntime().availableProcessors();
        assertEquals("builder for `" + drv + "' failed with exit code 1 while the machine was loaded (load average 1000.00 above "
                + cpus + " cores); building it again with cores=1\n", s.messages());
        assertEquals(List.of(drv + " - cores=1"), s.traces("build-retried"));
        assertEquals(2, s.traces("build-started").size());
        assertEquals(List.of(drv + " -"), s.traces("build-succeeded"));
        assertEquals(List.of(), s.traces("build-failed"));
    }

    @Test
    void memoryPressureCountsAsLoad() throws Exception {
        session(daemon, MEMORY_PRESSURE, 4);
        String drv = s.drvs.add(s.drvs.make("pressed", NEEDS_ONE_CORE));
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(s.messages().contains("while the machine was loaded (memory pressure 55.00%); building it again with cores=1\n"),
                s.messages());
        assertEquals("cores=4\ncores=1\n", s.builderOutput());
    }

    @Test
    void aSecondFailureIsReportedAsUpstreamDoes() throws Exception {
        session(daemon, LOADED, 2);
        String drv = s.drvs.add(s.drvs.make("always-failing", "echo cores=$NIX_BUILD_CORES; exit 3"));
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(100, e.status());
        assertEquals("cores=2\ncores=1\n", s.builderOutput(), "one retry, not more");
        assertEquals(List.of(drv + " - cores=1"), s.traces("build-retried"));
        assertEquals(List.of(drv + " - 1 builder for `" + drv + "' failed with exit code 3"), s.traces("build-failed"));
    }

    @Test
    void aQuietMachineFailsAtOnce() throws Exception {
        session(daemon, QUIET, 2);
        assertFailsOnce("quiet");
    }

    @Test
    void aBuildThatHadOneCoreIsNotRetried() throws Exception {
        session(daemon, LOADED, 1);
        String drv = s.drvs.add(s.drvs.make("single", "echo cores=$NIX_BUILD_CORES; exit 1"));
        assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("cores=1\n", s.builderOutput());
        assertEquals(List.of(), s.traces("build-retried"));
    }

    @Test
    void theOptionTurnsItOff() throws Exception {
        session(retryOff, LOADED, 2);
        assertFailsOnce("off");
    }

    private void assertFailsOnce(String name) throws Exception {
        Derivation d = s.drvs.make(name, NEEDS_ONE_CORE);
        String drv = s.drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(100, e.status());
        assertEquals("cores=2\n", s.builderOutput());
        assertEquals(List.of(), s.traces("build-retried"));
        assertEquals(List.of(drv + " - 1 builder for `" + drv + "' failed with exit code 1"), s.traces("build-failed"));
        assertFalse(s.client.isValidPath(d.outputs().get("out").path()));
    }
}
