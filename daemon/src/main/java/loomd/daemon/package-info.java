/**
 * The daemon's entry point ({@link loomd.daemon.Main}), its command line
 * ({@link loomd.daemon.CommandLine}, guix-daemon's options plus loomd's connection limits
 * ({@code --max-connections}, {@code --max-user-connections}, {@code --root-connections},
 * {@code --handshake-timeout}, {@code --first-op-timeout}), {@code --store-root},
 * {@code --shutdown-grace}, {@code --session-markers}, {@code --spawner}), the
 * directory {@link loomd.daemon.Layout}, upstream's {@link loomd.daemon.Settings}, and the helpers
 * started once at startup ({@link loomd.daemon.Backends}: locker and store;
 * {@link loomd.daemon.ProcessServices}: spawner and process monitor).
 *
 * <p>Concurrency: everything here runs on the main thread during startup. The {@code Settings}
 * template in {@link loomd.daemon.DaemonConfig} is frozen once the server starts: sessions only
 * read it through {@link loomd.daemon.Settings#copy()} (made on the session's own thread), so it
 * needs no lock. The shutdown hook runs on its own thread and only calls
 * {@link loomd.daemon.server.Server#shutdown}, then {@code ProcessServices.close()} (which kills
 * builders but never the locker, a watched helper), then the store's {@code close()}, which stops
 * the locker cleanly last. The spawner link and the process monitor have their own platform
 * threads (see {@code loomd.spawner} and {@code loomd.process}); nothing here waits for a child
 * on a virtual thread. The file locks the daemon holds (through the locker), their order and what
 * they guard, and what the store assumes about other processes on the same store: the
 * {@link loomd.daemon.store store package} documentation.
 */
package loomd.daemon;
