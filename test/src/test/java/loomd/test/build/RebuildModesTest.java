package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.DaemonException;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonFixture;

/** Rebuilding what is valid: check mode, {@code --rounds}, repair, through the real daemon (busybox, full sandbox). */
class RebuildModesTest {
    static final String RANDOM = "echo writing a random number; echo $RANDOM$RANDOM$RANDOM > $out";

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> b.env("GUIX_LOG_DIRECTORY", b.root().resolve("log").toString()));

    @TempDir
    Path tmp;
    BuildSession s;
    Derivations drvs;

    @BeforeEach
    void setUp() throws Exception {
        s = BuildSession.withBusybox(daemon, tmp);
        drvs = s.drvs;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (s != null) s.close();
    }

    String out(Derivation d) {
        return d.outputs().get("out").path();
    }

    /** Builds {@code d} normally, then forgets the events of that build. */
    String built(Derivation d) throws Exception {
        String drv = drvs.add(d);
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        s.events.clear();
        return drv;
    }

    @Test
    void checkOfADeterministicBuilderRebuildsAndSucceedsTwice() throws Exception {
        Derivation d = drvs.make("check-same", "echo same; echo same > $out");
        String drv = built(d);
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.CHECK));
        assertEquals(1, s.traces("build-started").size(), "rebuilt");
        assertEquals(List.of(drv + " -", drv + " -"), s.traces("build-succeeded"), "one per identical output, one for the build");
        assertEquals("same\n", Files.readString(drvs.physical(out(d))));
    }

    @Test
    void checkOfANonDeterministicBuilderFailsAndKeepsTheValidOutput() throws Exception {
        Derivation d = drvs.make("check-random", RANDOM);
        String drv = built(d);
        String before = Files.readString(drvs.physical(out(d)));
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.CHECK));
        assertEquals("derivation `" + drv + "' may not be deterministic: output `" + out(d) + "' differs", e.getMessage());
        assertEquals(1, e.status());
        assertEquals(List.of(), s.traces("build-failed"), "a plain error, not a build failure");
        assertTrue(s.client.isValidPath(out(d)));
        assertEquals(before, Files.readString(drvs.physical(out(d))));
        assertFalse(Files.exists(drvs.physical(out(d) + "-check")));
        assertEquals(List.of(), s.client.queryFailedPaths(), "not a cached failure");
    }

    @Test
    void checkWithKeepFailedKeepsTheDifferingOutputAsCheck() throws Exception {
        Derivation d = drvs.make("check-kept", RANDOM);
        String drv = built(d);
        s.options(o -> o.withKeepFailed(true));
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.CHECK));
        assertEquals("derivation `" + drv + "' may not be deterministic: output `" + out(d) + "' differs from `"
                + out(d) + "-check'", e.getMessage());
        Path kept = drvs.physical(out(d) + "-check");
        assertTrue(Files.isRegularFile(kept));
        assertNotEquals(Files.readString(drvs.physical(out(d))), Files.readString(kept));
        assertFalse(s.client.isValidPath(out(d) + "-check"));
    }

    @Test
    void checkOfAnUnbuiltDerivationIsRefused() throws Exception {
        String drv = drvs.add(drvs.make("check-unbuilt", "echo x > $out"));
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.CHECK));
        assertEquals("`" + drv + "' is missing outputs; build it normally before using `--check'", e.getMessage());
        assertEquals(List.of(), s.traces("build-started"));
    }

    @Test
    void twoRoundsOfADeterministicBuilderBuildTwiceAndRegisterOnce() throws Exception {
        s.options(o -> o.withRounds(2));
        Derivation d = drvs.make("rounds-same", "echo round; echo same > $out");
        String drv = drvs.add(d);
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(2, s.traces("build-started").size());
        assertEquals(List.of(drv + " -"), s.traces("build-succeeded"));
        assertEquals("same\n", Files.readString(drvs.physical(out(d))));
        assertEquals(drv, s.client.queryPathInfo(out(d)).deriver());
    }

    @Test
    void twoRoundsOfANonDeterministicBuilderRejectTheOutput() throws Exception {
        s.options(o -> o.withRounds(2));
        Derivation d = drvs.make("rounds-random", RANDOM);
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("build of `" + drv + "' failed", e.getMessage());
        assertEquals(1, e.status(), "an output rejected is not a permanent failure");
        String message = "output \u2018" + out(d) + "\u2019 of \u2018" + drv + "\u2019 differs from previous round";
        assertEquals(List.of(drv + " - 1 " + message), s.traces("build-failed"));
        assertFalse(s.client.isValidPath(out(d)));
    }

    @Test
    void twoRoundsWithKeepFailedNameTheKeptRound() throws Exception {
        s.options(o -> o.withRounds(2).withKeepFailed(true));
        Derivation d = drvs.make("rounds-kept", RANDOM);
        String drv = drvs.add(d);
        assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        String message = "output \u2018" + out(d) + "\u2019 of \u2018" + drv + "\u2019 differs from \u2018" + out(d)
                + "-check\u2019 from previous round";
        assertEquals(List.of(drv + " - 1 " + message), s.traces("build-failed"));
        assertTrue(Files.isRegularFile(drvs.physical(out(d) + "-check")));
    }

    @Test
    void repairRebuildsACorruptedOutputAndReplacesIt() throws Exception {
        Derivation d = drvs.make("repair-me", "echo repairing; echo good > $out");
        String drv = built(d);
        var hash = s.client.queryPathInfo(out(d)).narHash();
        Path at = drvs.physical(out(d));
        at.toFile().setWritable(true);
        Files.writeString(at, "corrupted\n");
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.REPAIR));
        assertTrue(s.messages().contains("path `" + out(d) + "' is corrupted or missing!\n"), s.messages());
        assertEquals(1, s.traces("build-started").size());
        assertEquals("good\n", Files.readString(at));
        assertEquals(hash, s.client.queryPathInfo(out(d)).narHash());
        assertTrue(s.client.isValidPath(out(d)));
    }

    @Test
    void repairOfIntactOutputsBuildsNothing() throws Exception {
        Derivation d = drvs.make("repair-intact", "echo good > $out");
        String drv = built(d);
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.REPAIR));
        assertEquals(List.of(), s.traces("build-started"));
    }
}
