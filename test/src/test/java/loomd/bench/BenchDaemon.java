package loomd.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;
import loomd.test.support.DaemonProcess;
import loomd.testkit.Fixture;

/**
 * The daemon a harness measures. By default a loomd the harness starts on a private store (as
 * {@link DaemonFixture} does); with {@code -Dloomd.bench.socket=PATH} an already running daemon
 * (another loomd, upstream guix-daemon) listening there, whose store directory is
 * {@code -Dloomd.bench.storeDir} (default {@code /gnu/store}). Harnesses that add to the store make
 * every item unique with {@link Knobs#runId()}, so a second run against a long-lived store still
 * creates paths instead of finding them.
 */
final class BenchDaemon extends Fixture<BenchDaemon.Target> {
    static final String SOCKET = "loomd.bench.socket";
    static final String STORE_DIR = "loomd.bench.storeDir";

    /** Where the daemon listens, its logical store, and the process when the harness started it. */
    record Target(Path socket, String storeDir, Optional<DaemonProcess> own) implements AutoCloseable {
        @Override
        public void close() {
            own.ifPresent(DaemonProcess::close);
        }
    }

    BenchDaemon() {
        this(builder -> builder);
    }

    /** {@code setup} shapes the loomd the harness starts; a running daemon is taken as it is. */
    BenchDaemon(DaemonFixture.Setup setup) {
        super("bench-daemon", dir -> {
            Optional<Target> running = running();
            return running.isPresent() ? running.get() : own(setup.configure(DaemonProcess.builder(dir)).start());
        });
    }

    private static Target own(DaemonProcess daemon) {
        return new Target(daemon.socketPath(), daemon.storeDir(), Optional.of(daemon));
    }

    /** The daemon named by the system properties, if any. */
    static Optional<Target> running() {
        String socket = Knobs.text(SOCKET);
        if (socket.isEmpty()) {
            return Optional.empty();
        }
        String storeDir = Knobs.text(STORE_DIR);
        return Optional.of(new Target(Path.of(socket), storeDir.isEmpty() ? "/gnu/store" : storeDir, Optional.empty()));
    }

    Path socket() {
        return get().socket();
    }

    String storeDir() {
        return get().storeDir();
    }

    /** The loomd this harness started, or empty against a running daemon. */
    Optional<DaemonProcess> own() {
        return get().own();
    }

    /** Where store items physically are: under loomd's --store-root, or the store directory itself. */
    Path physicalStoreDir() {
        return own().map(DaemonProcess::physicalStoreDir).orElse(Path.of(storeDir()));
    }

    /** For report headers: which daemon the figures are of. */
    String describe() {
        return own().isPresent() ? "loomd started by the harness (" + socket() + ")" : "the daemon at " + socket();
    }

    StoreClient client() throws IOException {
        return StoreClient.connectUnix(socket(), ClientOptions.DEFAULT);
    }
}
