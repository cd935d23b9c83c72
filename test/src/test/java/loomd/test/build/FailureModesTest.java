package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.DaemonException;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonFixture;

/** What a failed build leaves: keep-failed's build directory and the failure cache (daemon.md §4.12, §4.13). */
class FailureModesTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> {
        try {
            return b.env("TMPDIR", Files.createDirectories(b.root().resolve("build-tmp")).toString()).args("--cache-failures");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    });

    @TempDir
    Path tmp;
    BuildSession s;
    Derivations drvs;

    @BeforeEach
    void setUp() throws Exception {
        s = BuildSession.withBusybox(daemon, tmp);
        drvs = s.drvs;
        assertTrue(s.client.clearFailedPaths(List.of("*"))); // one daemon for the class
    }

    @AfterEach
    void tearDown() throws Exception {
        if (s != null) s.close();
    }

    static Path buildTmp() {
        return daemon.process().root().resolve("build-tmp");
    }

    @Test
    void keepFailedKeepsTheBuildDirectoryAndSaysWhere() throws Exception {
        s.options(o -> o.withKeepFailed(true));
        String drv = drvs.add(drvs.make("kept-failure", "echo scratch > left-behind.txt; exit 1"));
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(100, e.status());
        Matcher m = Pattern.compile("note: keeping build directory `([^']+)'\n").matcher(s.messages());
        assertTrue(m.find(), s.messages());
        Path kept = Path.of(m.group(1));
        assertEquals(buildTmp().toRealPath().resolve("guix-build-kept-failure.drv-0"), kept);
        assertEquals(0755, (Integer) Files.getAttribute(kept.resolve("top"), "unix:mode") & 07777, "the builder's directory opened for inspection");
        try (Stream<Path> files = Files.walk(kept)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().equals("left-behind.txt")), "the builder's files are there");
        }
    }

    @Test
    void withoutKeepFailedNothingIsLeft() throws Exception {
        String drv = drvs.add(drvs.make("gone-failure", "echo scratch > left-behind.txt; exit 1"));
        assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertFalse(s.messages().contains("keeping build directory"));
        // The daemon removes the build directory after the goal ends, off the build's path (LocalBuild.cleanUp).
        Path dir = buildTmp().resolve("guix-build-gone-failure.drv-0");
        assertTrue(loomd.testkit.Poll.until(java.time.Duration.ofSeconds(10), () -> !Files.exists(dir)),
                "the build directory is removed within 10 s");
    }

    @Test
    void aCachedFailureIsNotBuiltAgainUntilCleared() throws Exception {
        Derivation d = drvs.make("cached-failure", "echo trying; exit 1");
        String drv = drvs.add(d);
        String out = d.outputs().get("out").path();
        assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(List.of(out), s.client.queryFailedPaths());
        s.events.clear();
        DaemonException again = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(100, again.status());
        assertEquals("build of `" + drv + "' failed", again.getMessage());
        assertEquals(List.of(), s.traces("build-started"), "not built again");
        assertEquals(List.of(drv + " - cached"), s.traces("build-failed"));
        assertTrue(s.messages().contains("builder for `" + out + "' failed previously (cached)\n"), s.messages());
        // clearing by the derivation clears its outputs; then it builds again (and fails again)
        assertTrue(s.client.clearFailedPaths(List.of(drv)));
        assertEquals(List.of(), s.client.queryFailedPaths());
        s.events.clear();
        assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(1, s.traces("build-started").size());
        assertTrue(s.client.clearFailedPaths(List.of("*")));
        assertEquals(List.of(), s.client.queryFailedPaths());
    }

    @Test
    void aFixedOutputFailureIsNotCached() throws Exception {
        var other = loomd.protocol.hash.Hash.of(loomd.protocol.hash.HashAlgorithm.SHA256, "x\n".getBytes());
        String drv = drvs.add(drvs.make("fixed-failure", "exit 1", List.of("out"), java.util.Map.of(), java.util.Map.of(),
                new loomd.protocol.drv.DerivationOutput("", "sha256", other.toBase16())));
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(1, e.status(), "transient");
        assertEquals(List.of(), s.client.queryFailedPaths());
    }
}
