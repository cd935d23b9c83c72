package loomd.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import loomd.daemon.server.ConnectionLimits;
import loomd.daemon.store.Durability;

/**
 * Everything the command line and the environment decided, before the daemon starts.
 *
 * @param settings the template settings; sessions copy them and never touch this object
 * @param layout the directories
 * @param listen the {@code --listen} values in order (empty: the default socket)
 * @param connections the connection limit, each user's share of it, root's reserve and the idle time-outs
 * @param shutdownGrace how long SIGTERM lets open sessions finish
 * @param verbosity the daemon's own verbosity and every session's initial one (1 info, 4 debug)
 * @param sessionMarkers start a marker process per session for {@code guix processes}
 * @param spawnerBinary the native spawner to run ({@code --spawner}, env {@code LOOMD_SPAWNER}); empty: the jar's copy
 * @param durability when adds are acknowledged and how often they are synced ({@code --durability},
 *        {@code --flush-interval})
 * @param idleExit {@code --idle-exit}: when socket-activated, exit after this long with nothing to do; zero: never
 * @param nativeSubstituter {@code --substituter=native}: substitutes fetched by the daemon itself rather than
 *        by upstream's {@code guix substitute} helpers (the default, {@code --substituter=helper})
 */
public record DaemonConfig(Settings settings, Layout layout, List<String> listen, ConnectionLimits connections,
        Duration shutdownGrace, int verbosity, boolean sessionMarkers, Optional<Path> spawnerBinary,
        Durability durability, Duration idleExit, boolean nativeSubstituter) { }
