package loomd.test.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.CommandLine;

/**
 * The systemd units under {@code etc/}: systemd's own parser accepts them ({@code systemd-analyze
 * verify}, with ExecStart pointed at this tree's launcher, since verify checks the program
 * exists), every option ExecStart passes is one the daemon's command line takes, and each variant
 * keeps the settings it mirrors from upstream's guix-daemon.service.
 */
class UnitFilesTest {
    private static final Path ETC = Activator.repoRoot().resolve("etc");
    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"loomd.service", "unprivileged/loomd.service"})
    void systemdAcceptsTheUnits(String service) throws Exception {
        assertTrue(Files.isExecutable(ANALYZE), ANALYZE + " is missing: install Debian's package systemd (.ci/run does)");
        String root = Activator.repoRoot().toString();
        Files.writeString(dir.resolve("loomd.service"), read(service).replace("/opt/loomd", root));
        Files.writeString(dir.resolve("loomd.socket"), read("loomd.socket"));
        Process p = new ProcessBuilder(ANALYZE.toString(), "verify", dir.resolve("loomd.service").toString(),
                dir.resolve("loomd.socket").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        // verify only warns (status 0) about unknown keys and bad values: any line naming our units fails.
        List<String> ours = out.lines().filter(l -> l.contains("loomd")).toList();
        assertEquals(List.of(), ours, out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"loomd.service", "unprivileged/loomd.service"})
    void execStartTakesOnlyOptionsTheDaemonHas(String service) throws Exception {
        List<String> words = execStart(read(service));
        assertEquals("/opt/loomd/bin/loomd", words.getFirst());
        var parsed = CommandLine.parse(words.subList(1, words.size()), Map.of());
        var run = assertInstanceOf(CommandLine.Run.class, parsed);
        assertTrue(run.config().idleExit().toSeconds() > 0, "the socket-activated service scales to zero");
    }

    @Test
    void rootVariantMirrorsUpstream() throws IOException {
        String unit = read("loomd.service");
        assertTrue(execStart(unit).contains("--build-users-group=guixbuild"), unit);
        for (String key : List.of("OOMPolicy=continue", "TasksMax=8192", "Restart=on-failure", "StandardError=journal",
                "Requires=loomd.socket", "Conflicts=guix-daemon.service guix-daemon.socket")) {
            assertTrue(unit.lines().anyMatch(key::equals), key + " in\n" + unit);
        }
    }

    @Test
    void unprivilegedVariantMirrorsUpstream() throws IOException {
        String unit = read("unprivileged/loomd.service");
        assertTrue(execStart(unit).stream().noneMatch(w -> w.startsWith("--build-users-group")), unit);
        for (String key : List.of("User=guix-daemon", "PrivateMounts=true", "BindPaths=/gnu/store",
                "AmbientCapabilities=CAP_CHOWN", "OOMPolicy=continue", "TasksMax=8192", "Restart=on-failure",
                "Before=gnu-store.mount")) {
            assertTrue(unit.lines().anyMatch(key::equals), key + " in\n" + unit);
        }
        assertTrue(unit.contains("'GUIX_STATE_DIRECTORY=/var/guix'"), unit);
    }

    @Test
    void socketIsGuixDaemons() throws IOException {
        String unit = read("loomd.socket");
        for (String key : List.of("ListenStream=/var/guix/daemon-socket/socket", "SocketMode=0666",
                "Service=loomd.service", "WantedBy=sockets.target")) {
            assertTrue(unit.lines().anyMatch(key::equals), key + " in\n" + unit);
        }
    }

    private static String read(String name) throws IOException {
        return Files.readString(ETC.resolve(name));
    }

    /** ExecStart's words, continuation lines joined (the units quote nothing there). */
    static List<String> execStart(String unit) {
        String joined = unit.replace("\\\n", " ");
        String line = joined.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        return new ArrayList<>(Arrays.asList(line.substring("ExecStart=".length()).trim().split("\\s+")));
    }
}
