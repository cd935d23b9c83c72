/**
 * The daemon's entry point ({@link loomd.daemon.Main}), its command line
 * ({@link loomd.daemon.CommandLine}, guix-daemon's options plus loomd's {@code --max-connections},
 * {@code --store-root}, {@code --shutdown-grace}), the directory {@link loomd.daemon.Layout} and
 * upstream's {@link loomd.daemon.Settings}.
 *
 * <p>Concurrency: everything here runs on the main thread during startup. The {@code Settings}
 * template in {@link loomd.daemon.DaemonConfig} is frozen once the server starts: sessions only
 * read it through {@link loomd.daemon.Settings#copy()} (made on the session's own thread), so it
 * needs no lock. The shutdown hook runs on its own thread and only calls
 * {@link loomd.daemon.server.Server#shutdown} and the store's {@code close()}.
 */
package loomd.daemon;
