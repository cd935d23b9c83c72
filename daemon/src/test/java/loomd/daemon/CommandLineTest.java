package loomd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import loomd.daemon.server.ConnectionLimits;
import loomd.daemon.store.Durability;

class CommandLineTest {
    static DaemonConfig run(Map<String, String> env, String... args) throws Exception {
        return assertInstanceOf(CommandLine.Run.class, CommandLine.parse(List.of(args), env)).config();
    }

    @Test
    void upstreamOptionsLandInTheSettings() throws Exception {
        DaemonConfig c = run(Map.of(), "--listen=/tmp/a", "--listen", "localhost:1234", "-c", "4", "-M2",
                "--timeout=60", "--max-silent-time", "30", "--disable-chroot", "--build-users-group=guixbuild",
                "--no-substitutes", "--gc-keep-outputs", "--gc-keep-derivations=no", "--debug", "--rounds=3");
        assertEquals(List.of("/tmp/a", "localhost:1234"), c.listen());
        Settings s = c.settings();
        s.update();
        assertEquals(4, s.buildCores);
        assertEquals(2, s.maxBuildJobs);
        assertEquals(60, s.buildTimeout);
        assertEquals(30, s.maxSilentTime);
        assertFalse(s.useChroot);
        assertEquals("guixbuild", s.buildUsersGroup);
        assertFalse(s.useSubstitutes);
        assertTrue(s.gcKeepOutputs);
        assertFalse(s.gcKeepDerivations);
        assertEquals("2", s.get("build-repeat", ""));
        assertEquals(4, c.verbosity());
    }

    @Test
    void abbreviationsAndErrorsAsArgp() throws Exception {
        assertFalse(run(Map.of(), "--disable-ch").settings().useChroot);
        assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(List.of("--no"), Map.of()));
        assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(List.of("--frobnicate"), Map.of()));
        assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(List.of("--max-connections=0"), Map.of()), "a zero limit would refuse every client");
        CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(List.of("--gc-keep-outputs=maybe"), Map.of()));
        assertEquals("'maybe': invalid Boolean value", e.getMessage());
        assertInstanceOf(CommandLine.Print.class, CommandLine.parse(List.of("--help"), Map.of()));
        assertTrue(((CommandLine.Print) CommandLine.parse(List.of("--help"), Map.of())).text().contains("[pending]"));
    }

    @Test
    void idleExitIsOffUnlessAsked() throws Exception {
        assertEquals(Duration.ZERO, run(Map.of()).idleExit());
        assertEquals(Duration.ofSeconds(600), run(Map.of(), "--idle-exit=600").idleExit());
        assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(List.of("--idle-exit=soon"), Map.of()));
    }

    @Test
    void retryUnderLoadIsOnUnlessTurnedOff() throws Exception {
        assertTrue(run(Map.of()).settings().retryUnderLoad);
        assertEquals("", run(Map.of()).settings().loadSignal);
        Settings s = run(Map.of(), "--retry-under-load=no", "--load-signal=/run/load").settings();
        assertFalse(s.retryUnderLoad);
        assertEquals("/run/load", s.loadSignal);
        assertFalse(s.copy().retryUnderLoad, "a session's copy keeps them");
        assertEquals("/run/load", s.copy().loadSignal);
        assertTrue(run(Map.of(), "--retry-under-load=no", "--retry-under-load").settings().retryUnderLoad);
    }

    @Test
    void connectionLimitOptions() throws Exception {
        ConnectionLimits d = run(Map.of()).connections();
        assertEquals(new ConnectionLimits(4096, 1024, 64, Duration.ofSeconds(60), Duration.ZERO), d);
        assertEquals(new ConnectionLimits(100, 25, 25, Duration.ofSeconds(60), Duration.ZERO),
                run(Map.of(), "--max-connections=100").connections(), "defaults follow --max-connections");
        ConnectionLimits c = run(Map.of(), "--max-connections=50", "--max-user-connections", "5",
                "--root-connections=0", "--handshake-timeout=3", "--first-op-timeout=7").connections();
        assertEquals(new ConnectionLimits(50, 5, 0, Duration.ofSeconds(3), Duration.ofSeconds(7)), c);
        CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(List.of("--max-connections=4", "--root-connections=4"), Map.of()));
        assertEquals("--root-connections: `4' must be fewer than --max-connections (4)", e.getMessage());
        assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(List.of("--max-user-connections=0"), Map.of()));
        assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(List.of("--first-op-timeout=-1"), Map.of()));
        String help = ((CommandLine.Print) CommandLine.parse(List.of("--help"), Map.of())).text();
        for (String option : List.of("--max-user-connections=N", "--root-connections=N",
                "--handshake-timeout=SECONDS", "--first-op-timeout=SECONDS")) {
            assertTrue(help.contains(option), option);
        }
    }

    @Test
    void substituterMode() throws Exception {
        assertEquals(false, run(Map.of()).nativeSubstituter(), "upstream's helper by default");
        assertEquals(true, run(Map.of(), "--substituter=native").nativeSubstituter());
        assertEquals(false, run(Map.of(), "--substituter", "helper").nativeSubstituter());
        CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(List.of("--substituter=guile"), Map.of()));
        assertEquals("--substituter: `guile' is neither `helper' nor `native'", e.getMessage());
    }

    @Test
    void durabilityOptions() throws Exception {
        assertEquals(new Durability(Durability.Mode.BATCHED, Duration.ofSeconds(1)), run(Map.of()).durability());
        assertEquals(new Durability(Durability.Mode.STRICT, Duration.ofMillis(250)),
                run(Map.of(), "--durability=strict", "--flush-interval", "250").durability());
        CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(List.of("--durability=sometimes"), Map.of()));
        assertEquals("--durability: `sometimes' is not a durability mode (batched or strict)", e.getMessage());
        assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(List.of("--flush-interval=0"), Map.of()));
        String help = ((CommandLine.Print) CommandLine.parse(List.of("--help"), Map.of())).text();
        assertTrue(help.contains("--durability=MODE") && help.contains("--flush-interval=MS"), help);
    }

    @Test
    void badIntegerSettingFailsAtUpdate() throws Exception {
        Settings s = run(Map.of(), "--max-jobs=lots").settings();
        SettingsException e = assertThrows(SettingsException.class, s::update);
        assertEquals("configuration setting `build-max-jobs' should have an integer value", e.getMessage());
    }

    @Test
    void storeRootPutsEverythingUnderIt() throws Exception {
        DaemonConfig c = run(Map.of("NIX_STORE_DIR", "/gnu/store/"), "--store-root=/tmp/r");
        Layout l = c.layout();
        assertEquals("/gnu/store", l.storeDir());
        assertEquals(Path.of("/tmp/r/gnu/store"), l.physicalStoreDir());
        assertEquals(Path.of("/tmp/r/var/guix"), l.stateDir());
        assertEquals(Path.of("/tmp/r/var/guix/db"), l.dbDir());
        assertEquals(Path.of("/tmp/r/var/guix/daemon-socket/socket"), l.defaultSocket());
        Layout explicit = run(Map.of("GUIX_STATE_DIRECTORY", "/srv/state", "LOOMD_STORE_ROOT", "/tmp/q")).layout();
        assertEquals(Path.of("/srv/state"), explicit.stateDir());
        assertEquals(Path.of("/tmp/q/gnu/store"), explicit.physicalStoreDir());
        Layout none = run(Map.of()).layout();
        assertEquals(Path.of("/gnu/store"), none.physicalStoreDir());
        assertEquals(Path.of("/var/guix/db"), none.dbDir());
    }

    @Test
    void nixOptionsAreSortedLines() throws Exception {
        Settings s = new Settings();
        s.set("b", "2");
        s.set("a", "1");
        assertEquals("a=1\nb=2\n", s.toNixOptions());
        s.set("bad=name", "x");
        assertThrows(SettingsException.class, s::toNixOptions);
    }
}
