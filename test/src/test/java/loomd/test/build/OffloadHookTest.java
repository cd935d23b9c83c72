package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildEvents;
import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonFixture;

/**
 * The build hook exchange of daemon.md §6.3 against the real daemon, with a scripted stand-in for
 * {@code guix offload} (the daemon finds it through {@code GUIX}, as upstream finds {@code guix}). The
 * script's behaviour for the next request is the word in {@code hook/mode}.
 */
class OffloadHookTest {
    static final String HOOK = """
            #!/bin/sh
            d="$HOOK_DIR"
            echo "$*" >> "$d/argv"
            echo "start $(date +%s%N)" >> "$d/times"
            if [ -f "$d/startdelay" ]; then sleep "$(cat "$d/startdelay")"; fi
            while IFS= read -r request; do
              echo "ask $(date +%s%N)" >> "$d/times"
              echo "$request|" >> "$d/requests"
              drv=$(echo "$request" | cut -d' ' -f3)
              mode=$(cat "$d/mode")
              case "$mode" in
                decline) echo "# decline"; continue ;;
                postpone) echo accept > "$d/mode"; echo "# postpone"; continue ;;
                garbage) echo "# maybe"; continue ;;
                eof) exit 3 ;;
              esac
              echo "hook says hello"
              echo "# accept"
              IFS= read -r inputs
              IFS= read -r outputs
              echo "inputs:$inputs|" >> "$d/paths"
              echo "outputs:$outputs|" >> "$d/paths"
              echo "@ build-remote $drv worker-1" >&2
              echo "remote builder output" >&4
              case "$mode" in
                crash) kill -9 $$ ;;
                exit100) exit 100 ;;
                silent) sleep 30; exit 0 ;;
                slow) sleep 2 ;;
                chatty) i=0; while [ $i -lt 150 ]; do echo "still building" >&2; sleep 0.2; i=$((i+1)); done; exit 0 ;;
              esac
              for o in $outputs; do
                echo "built remotely" > "$HOOK_STORE/${o##*/}"
                if [ "$mode" = register ]; then
                  sqlite3 -cmd ".timeout 30000" "$HOOK_DB" "insert into ValidPaths (path, hash, registrationTime, narSize) values ('$o', 'sha256:1111111111111111111111111111111111111111111111111111111111111111', 1, 120);"
                fi
              done
              echo "done $(date +%s%N)" >> "$d/times"
              exit 0
            done
            """;

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> {
        Path hook = Files.createDirectories(b.root().resolve("hook"));
        Path script = hook.resolve("guix");
        Files.writeString(script, HOOK);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return b.env("GUIX", script.toString()).env("HOOK_DIR", hook.toString())
                .env("HOOK_STORE", b.root().resolve("gnu/store").toString())
                .env("HOOK_DB", b.root().resolve("var/guix/db/db.sqlite").toString())
                .env("GUIX_LOG_DIRECTORY", b.root().resolve("log").toString());
    });

    @TempDir
    Path tmp;
    StoreClient client;
    Derivations drvs;
    Path hookDir;
    final List<BuildEvents.Event> events = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void setUp() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
                "chroot builds need root here");
        client = daemon.client(ClientOptions.DEFAULT.withLog(new BuildEvents(events::add)));
        client.setOptions(options());
        drvs = new Derivations(daemon.process(), client);
        assertEquals(Derivations.BUSYBOX, drvs.addBusybox(tmp));
        hookDir = daemon.process().root().resolve("hook");
        for (String f : List.of("argv", "requests", "paths", "times", "startdelay")) {
            Files.deleteIfExists(hookDir.resolve(f));
        }
    }

    static BuildOptions options() {
        return BuildOptions.defaults().withPrintBuildTrace(true).withUseSubstitutes(false);
    }

    void mode(String m) throws Exception {
        Files.writeString(hookDir.resolve("mode"), m + "\n");
    }

    List<String> traces(String name) {
        synchronized (events) {
            return events.stream().filter(e -> e instanceof BuildEvents.Trace t && t.name().equals(name))
                    .map(e -> String.join(" ", ((BuildEvents.Trace) e).fields())).toList();
        }
    }

    String text() {
        StringBuilder sb = new StringBuilder();
        synchronized (events) {
            events.forEach(e -> sb.append(e instanceof BuildEvents.Log l ? l.text() : e.toString()).append('\n'));
        }
        return sb.toString();
    }

    String read(String file) throws Exception {
        return Files.readString(hookDir.resolve(file));
    }

    String out(Derivation d) {
        return d.outputs().get("out").path();
    }

    @Test
    void acceptedBuildSendsTheExchangeByteForByteAndTracesTheHookPid() throws Exception {
        mode("accept");
        Derivation d = drvs.make("offloaded", "echo local > $out");
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("offload x86_64-linux 3600 1 86400\n", read("argv"));
        assertEquals("1 x86_64-linux " + drv + " |\n", read("requests"));
        assertEquals("inputs:" + String.join(" ", new java.util.TreeSet<>(List.of(Derivations.BUSYBOX, drv))) + " |\n"
                + "outputs:" + out(d) + " |\n", read("paths"));
        assertEquals("built remotely\n", Files.readString(drvs.physical(out(d))));
        assertTrue(client.isValidPath(out(d)));
        String started = traces("build-started").getFirst();
        assertTrue(started.startsWith(drv + " - x86_64-linux " + daemon.process().root().resolve("log")), started);
        assertEquals(List.of(drv + " -"), traces("build-succeeded"));
        String all = text();
        assertTrue(all.contains("hook says hello"), all);
        assertTrue(all.contains("@ build-remote " + drv + " worker-1") || traces("build-remote").contains(drv + " worker-1"), all);
        assertTrue(all.contains("remote builder output"), all);
    }

    @Test
    void theNextHookStartsWhileTheAcceptedOneBuilds() throws Exception {
        mode("slow");
        Derivation first = drvs.make("ahead-1", "echo local > $out");
        String firstDrv = drvs.add(first);
        Derivation second = drvs.make("ahead-2", "echo local > $out", List.of("out"),
                java.util.Map.of(firstDrv, List.of("out")), java.util.Map.of(), null);
        assertTrue(client.buildPaths(List.of(drvs.add(second)), BuildMode.NORMAL));
        assertEquals("built remotely\n", Files.readString(drvs.physical(out(second))));
        // Started when it is asked, the second hook would start only after the first build is done.
        List<String> order = read("times").lines().map(l -> l.split(" ")[0]).filter(w -> !w.equals("ask")).toList();
        assertEquals(List.of("start", "start", "done", "done"), order, read("times"));
        assertEquals(2, read("argv").lines().count()); // none started ahead after the last goal asked
    }

    @Test
    void goalsQueuedToAskGetTheirHooksStartedTogether() throws Exception {
        mode("slow");
        Files.writeString(hookDir.resolve("startdelay"), "1\n"); // a hook takes a second to start, as Guile does
        List<String> drvPaths = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            drvPaths.add(drvs.add(drvs.make("queued-" + i, "echo local > $out")));
        }
        assertTrue(client.buildPaths(drvPaths, BuildMode.NORMAL));
        List<Long> asks = read("times").lines().filter(l -> l.startsWith("ask ")).map(l -> Long.parseLong(l.substring(4))).toList();
        assertEquals(3, asks.size(), read("times"));
        // Started one after another, the third hook would be asked a whole start (1 s) after the second.
        assertTrue(asks.get(2) - asks.get(1) < 600_000_000L, read("times"));
        assertEquals(3, read("argv").lines().count(), read("times")); // none started after the last goal was answered
    }

    @Test
    void rowsTheHookWritesIntoTheDatabaseAreSeenAtOnce() throws Exception {
        mode("register");
        Derivation d = drvs.make("registered-by-hook", "echo local > $out");
        String drv = drvs.add(d);
        assertFalse(client.isValidPath(out(d))); // a negative answer first, so a cache would have it
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(client.isValidPath(out(d)));
        assertEquals(120, client.queryPathInfo(out(d)).narSize()); // the hook's row, not one loomd made
    }

    @Test
    void declineBuildsLocally() throws Exception {
        mode("decline");
        Derivation d = drvs.make("declined", "echo local > $out");
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("local\n", Files.readString(drvs.physical(out(d))));
        assertTrue(read("requests").contains(drv));
    }

    @Test
    void postponeThenAcceptAsksAgainWithTheSameHook() throws Exception {
        mode("postpone");
        Derivation d = drvs.make("postponed", "echo local > $out");
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("built remotely\n", Files.readString(drvs.physical(out(d))));
        assertEquals(2, read("requests").lines().count());
        assertEquals(1, read("argv").lines().count());
    }

    @Test
    void aGarbageReplyFailsOnlyThatGoal() throws Exception {
        mode("garbage");
        Derivation d = drvs.make("garbage", "echo local > $out");
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("build of `" + drv + "' failed", e.getMessage());
        assertTrue(text().contains("bad hook reply `maybe'"), text());
        assertFalse(client.isValidPath(out(d)));
        mode("accept"); // the session and the daemon go on
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
    }

    @Test
    void eofBeforeTheReplyFailsOnlyThatGoal() throws Exception {
        mode("eof");
        Derivation d = drvs.make("eof", "echo local > $out");
        String drv = drvs.add(d);
        assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(text().contains("unexpected EOF reading a line"), text());
    }

    @Test
    void aHookCrashMidBuildIsHookFailed() throws Exception {
        mode("crash");
        Derivation d = drvs.make("crash", "echo local > $out");
        String drv = drvs.add(d);
        assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(List.of(drv + " - 9 builder for `" + drv + "' failed due to signal 9 (Killed)"),
                traces("hook-failed"));
        assertFalse(client.isValidPath(out(d)));
    }

    @Test
    void exit100IsAPermanentFailure() throws Exception {
        mode("exit100");
        Derivation d = drvs.make("exit100", "echo local > $out");
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(100, e.status());
        assertEquals(List.of(drv + " - 1 builder for `" + drv + "' failed with exit code 100"), traces("build-failed"));
        assertEquals(List.of(), traces("hook-failed"));
    }

    @Test
    void aSilentHookTimesOut() throws Exception {
        assertTimesOut("silent", options().withMaxSilentTime(1), "timed out after 1 seconds of silence");
    }

    @Test
    void aChattyHookOverTheBuildTimeoutTimesOut() throws Exception {
        assertTimesOut("chatty", options().withTimeout(1), "timed out after 1 seconds\n");
    }

    /** The hook in {@code mode} would run 30 s: the limit of {@code options} kills it with {@code text}. */
    private void assertTimesOut(String mode, BuildOptions options, String text) throws Exception {
        mode(mode);
        client.setOptions(options);
        Derivation d = drvs.make(mode, "echo local > $out");
        String drv = drvs.add(d);
        long t0 = System.nanoTime();
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L);
        assertEquals(101, e.status());
        assertEquals(List.of(drv + " - timeout"), traces("build-failed"));
        assertTrue(text().contains("building of `" + drv + "' " + text), text());
        assertFalse(client.isValidPath(out(d)));
    }

    @Test
    void withoutTheHookMaxJobsZeroCannotStartAnyBuild() throws Exception {
        client.setOptions(options().withOffload(false).withMaxBuildJobs(0));
        Derivation d = drvs.make("nohook", "echo local > $out");
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("unable to start any build; either increase `--max-jobs' or enable distributed builds", e.getMessage());
        assertFalse(Files.exists(hookDir.resolve("requests")));
    }

    @Test
    void maxJobsZeroOffloadsAndDeclinedFailsTheOperation() throws Exception {
        client.setOptions(options().withMaxBuildJobs(0));
        mode("accept");
        Derivation d = drvs.make("only-remote", "echo local > $out");
        assertTrue(client.buildPaths(List.of(drvs.add(d)), BuildMode.NORMAL));
        assertEquals("0 x86_64-linux ", read("requests").substring(0, 15));
        mode("decline");
        Derivation d2 = drvs.make("declined-no-slot", "echo local > $out");
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drvs.add(d2)), BuildMode.NORMAL));
        assertEquals("unable to start any build; either increase `--max-jobs' or enable distributed builds", e.getMessage());
    }

    @Test
    void preferLocalBuildIsNotOffered() throws Exception {
        mode("accept");
        Derivation d = drvs.make("prefer-local", "echo local > $out", List.of("out"), java.util.Map.of(),
                java.util.Map.of("preferLocalBuild", "1"), null);
        assertTrue(client.buildPaths(List.of(drvs.add(d)), BuildMode.NORMAL));
        assertEquals("local\n", Files.readString(drvs.physical(out(d))));
        assertFalse(Files.exists(hookDir.resolve("requests")));
    }
}
