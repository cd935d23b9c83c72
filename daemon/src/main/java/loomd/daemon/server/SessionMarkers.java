package loomd.daemon.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Makes loomd's sessions visible to {@code guix processes} (option {@code --session-markers}).
 *
 * <p>That command lists processes whose {@code argv[0]} basename is {@code guix-daemon} and whose
 * {@code argv[1]} is a number, taken as the client's pid (upstream overwrites argv[1] of each
 * forked session). loomd has no process per session, so for each Unix connection with a known
 * client pid it starts a tiny marker, {@code bash -c 'exec -a guix-daemon sleep PID infinity'}
 * (GNU sleep adds its arguments, so it sleeps forever), and kills it when the session ends.
 * Locks held and builder children are not attributed to the marker (the locker and spawner hold
 * them), so {@code guix processes} shows sessions and clients but no LockHeld/ChildPID lines.
 *
 * <p>Off by default: a fork per connection costs about a millisecond. Markers are started from
 * one platform thread (a fork is a blocking native call, kept off the virtual threads); a daemon
 * killed with SIGKILL leaves its markers behind.
 */
final class SessionMarkers implements AutoCloseable {
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("session-markers").daemon(true).factory());
    private final String bash;
    private final Consumer<String> log;

    SessionMarkers(Consumer<String> log) {
        this.log = log;
        this.bash = List.of("/bin/bash", "/usr/bin/bash", "/run/current-system/profile/bin/bash").stream()
                .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
        if (bash == null) {
            log.accept("warning: no bash found; --session-markers has no effect");
        }
    }

    /** Starts the marker of a session; null if it cannot be started (never fatal). */
    Process start(int clientPid) {
        if (bash == null || clientPid <= 0) {
            return null;
        }
        Future<Process> started = spawner.submit(() -> new ProcessBuilder(bash, "-c",
                "exec -a guix-daemon sleep " + clientPid + " infinity")
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start());
        try {
            return started.get();
        } catch (Exception e) {
            log.accept("cannot start a session marker: " + e.getMessage());
            return null;
        }
    }

    static void stop(Process marker) {
        if (marker != null) {
            marker.destroy();
        }
    }

    @Override
    public void close() {
        spawner.shutdownNow();
    }
}
