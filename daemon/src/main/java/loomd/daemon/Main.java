package loomd.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import loomd.daemon.build.BuildServices;
import loomd.daemon.build.LoadRetry;
import loomd.daemon.server.IdleExit;
import loomd.daemon.substitute.Substituters;
import loomd.daemon.server.Listener;
import loomd.daemon.server.Listeners;
import loomd.daemon.server.Server;
import loomd.daemon.server.SocketActivation;
import loomd.daemon.store.LocalStore;
import loomd.daemon.store.roots.LockerFileLocker;
import loomd.daemon.store.roots.PendingFileLocker;
import loomd.daemon.session.Session;
import loomd.locker.LockerClient;
import loomd.protocol.wire.WireLimits;

/**
 * {@code guix-daemon} in one JVM. Startup order (daemon.md §2.3): parse the command line, create
 * the directories, start the spawner ({@link ProcessServices}) and the locker ({@link Backends}),
 * each on a thread of its own, open the store meanwhile (after an unclean stop this verifies and
 * repairs what was registered since the last durable checkpoint, so no client is served before
 * that is done), open the listening sockets (or adopt the activated ones), then serve until
 * SIGTERM. The first clients are served without waiting for the helpers (issue 14): a request
 * that needs a lock or the spawner waits for that helper then. Shutdown closes them in reverse order.
 */
public final class Main {
    private static final PrintStream ERR = System.err;

    private Main() { }

    public static void main(String[] args) {
        choosePollerThreads();
        System.exit(run(List.of(args), System.getenv()));
    }

    /**
     * Unless the command line chose, parked sessions are woken by the JDK's platform poller thread
     * ({@code jdk.pollerMode=1}) rather than by virtual poller threads (the default 2), which on a
     * small machine take one more thread switch and more system calls per wake-up: measured, a
     * median IsValidPath round trip 10-20 us shorter. Set here, before the first virtual thread
     * blocks on a socket, since a jar's manifest cannot carry system properties.
     */
    static void choosePollerThreads() {
        if (System.getProperty("jdk.pollerMode") == null) {
            System.setProperty("jdk.pollerMode", "1");
        }
    }

    /** Runs the daemon; returns the exit status (0 after a SIGTERM drain, 1 on a fatal error, 64 on usage). */
    static int run(List<String> args, Map<String, String> env) {
        DaemonConfig config;
        try {
            switch (CommandLine.parse(args, env)) {
                case CommandLine.Print p -> {
                    System.out.print(p.text());
                    System.out.flush();
                    return 0;
                }
                case CommandLine.Run r -> config = r.config();
            }
        } catch (CommandLine.UsageException e) {
            ERR.println(CommandLine.PROGRAM + ": " + e.getMessage());
            ERR.println("Try `" + CommandLine.PROGRAM + " --help' or `" + CommandLine.PROGRAM
                    + " --usage' for more information.");
            return 64;
        }
        DaemonLog.configure(config.verbosity() >= 4);
        Consumer<String> log = Main::log;
        LocalStore store = null;
        ProcessServices processes = null;
        List<Listener> listeners = List.of();
        try {
            Layout layout = config.layout();
            Privileges.check(config, log);
            Files.createDirectories(layout.physicalStoreDir());
            Files.createDirectories(layout.stateDir());
            Files.createDirectories(layout.dbDir());
            config.settings().update();
            DaemonLog.startupDetails(config, log);
            processes = ProcessServices.start(config.spawnerBinary(), layout, log);
            CompletableFuture<LockerClient> locker = Backends.launchLocker(layout, log);
            store = Backends.open(config, env, locker);
            log.accept("durability: " + config.durability().mode().name().toLowerCase(java.util.Locale.ROOT)
                    + ", group sync every " + config.durability().flushInterval().toMillis() + " ms");
            locker.thenAccept(processes::watchLocker);
            BuildServices.attach(store, processes.spawner(), processes.monitor(),
                    new PendingFileLocker(locker.thenApply(LockerFileLocker::new)), env, log)
                    .useBuildUsers(config.settings().buildUsersGroup)
                    .retryUnderLoad(LoadRetry.of(config.settings().retryUnderLoad, config.settings().loadSignal));
            Optional<String> guix = Backends.guixProgram(env);
            if (config.nativeSubstituter()) {
                NativeSubstitutes.attach(store, layout, env, log);
            } else if (guix.isPresent()) {
                Substituters.attach(store, processes.spawner(), guix.get(), env, log);
            }
            listeners = listen(config, env, log);
            if (ProcessHandle.current().info().user().orElse("").equals("root")
                    && config.settings().buildUsersGroup.isEmpty()) {
                ERR.println("warning: daemon is running as root, so using `--build-users-group' is highly recommended");
            }
        } catch (IOException | SettingsException | RuntimeException e) {
            ERR.println("error: " + e.getMessage());
            listeners.forEach(l -> closeQuietly(l));
            if (processes != null) {
                processes.close();
            }
            if (store != null) {
                store.close(); // and the locker; Backends.open closed it if the store did not open
            }
            return 1;
        }
        return serve(config, store, processes, listeners, log);
    }

    private static List<Listener> listen(DaemonConfig config, Map<String, String> env, Consumer<String> log)
            throws IOException {
        int activated = SocketActivation.count(env, ProcessHandle.current().pid());
        if (activated > 0) {
            List<Listener> result = SocketActivation.adopt(activated);
            log.accept("socket-activated with " + activated + " socket(s)");
            return result;
        }
        List<Listener> result = Listeners.open(config.listen(), config.layout().defaultSocket());
        for (Listener l : result) {
            log.accept("listening on " + l.description());
        }
        return result;
    }

    private static int serve(DaemonConfig config, LocalStore store, ProcessServices processes,
            List<Listener> listeners, Consumer<String> log) {
        WireLimits limits = WireLimits.DEFAULT;
        Server server = new Server(listeners, config.connections(),
                config.sessionMarkers() ? processes.spawner() : null,
                (channel, peer, progress) -> new Session(channel, peer, config.settings(), store, config.layout(),
                        config.verbosity(), limits, log, progress).run(),
                log);
        Thread hook = new Thread(() -> {
            if (server.running()) {
                log.accept("shutting down: draining " + server.activeConnections() + " connection(s)");
                server.shutdown(config.shutdownGrace());
            }
            BuildServices.of(store).ifPresent(BuildServices::close);
            Substituters.of(store).ifPresent(Substituters::close);
            processes.close();
            store.close();
            log.accept("stopped");
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        server.start();
        watchIdle(config, server, processes, log);
        try {
            server.awaitStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** {@code --idle-exit}, only when socket-activated: otherwise nobody would hold the socket meanwhile. */
    private static void watchIdle(DaemonConfig config, Server server, ProcessServices processes, Consumer<String> log) {
        if (config.idleExit().isZero()) {
            return;
        }
        if (SocketActivation.count(System.getenv(), ProcessHandle.current().pid()) == 0) {
            log.accept("--idle-exit ignored: the daemon was not socket-activated");
            return;
        }
        IdleExit.watch(server, config.idleExit(), config.shutdownGrace(), processes::busy, log);
    }

    private static void closeQuietly(Listener l) {
        try {
            l.channel().close();
        } catch (IOException ignored) {
            // failing startup anyway
        }
    }

    /** The daemon's log: its stderr, one line per message. */
    static void log(String message) {
        ERR.println(message);
    }
}
