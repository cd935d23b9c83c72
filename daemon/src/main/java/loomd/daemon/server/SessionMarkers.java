package loomd.daemon.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;
import loomd.spawner.Spawner;

/**
 * Makes loomd's sessions visible to {@code guix processes} (option {@code --session-markers}).
 *
 * <p>That command lists processes whose {@code argv[0]} basename is {@code guix-daemon} and whose
 * {@code argv[1]} is a number, taken as the client's pid (upstream overwrites argv[1] of each
 * forked session). loomd has no process per session, so for each Unix connection with a known
 * client pid the spawner starts a tiny marker, {@code sleep} run with the argv
 * {@code guix-daemon PID infinity} (GNU sleep adds its arguments, so it sleeps forever), which is
 * killed when the session ends. Locks held and builder children are not attributed to the marker
 * (the locker and spawner hold them), so {@code guix processes} shows sessions and clients but no
 * LockHeld/ChildPID lines.
 *
 * <p>Off by default: a process per connection costs about a millisecond. The fork happens in the
 * spawner, so the session's virtual thread only waits on a future; markers die with the spawner,
 * which dies with the daemon, even on SIGKILL.
 */
final class SessionMarkers {
    private static final long START_TIMEOUT_SECONDS = 5;

    private final Spawner spawner;
    private final String sleep;
    private final Consumer<String> log;

    SessionMarkers(Spawner spawner, Consumer<String> log) {
        this.spawner = spawner;
        this.log = log;
        this.sleep = List.of("/bin/sleep", "/usr/bin/sleep", "/run/current-system/profile/bin/sleep").stream()
                .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
        if (sleep == null) {
            log.accept("warning: no sleep program found; --session-markers has no effect");
        }
    }

    /** Starts the marker of a session; null if it cannot be started (never fatal). */
    SpawnedProcess start(long clientPid) {
        if (sleep == null || clientPid <= 0) {
            return null;
        }
        SpawnRequest request = SpawnRequest.builder().program(sleep)
                .argv("guix-daemon", Long.toString(clientPid), "infinity").build();
        try {
            return spawner.spawn(request).get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.accept("cannot start a session marker: " + e.getMessage());
            return null;
        }
    }

    static void stop(SpawnedProcess marker) {
        if (marker != null) {
            marker.kill();
        }
    }
}
