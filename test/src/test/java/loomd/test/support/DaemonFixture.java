package loomd.test.support;

import java.io.IOException;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.testkit.Fixture;

/**
 * The real daemon for a test class (static field) or for each test (instance field), on a private
 * store in a temp directory, started by {@link DaemonProcess}:
 * {@code @RegisterExtension static final DaemonFixture daemon = new DaemonFixture(b -> b.tcp());}
 */
public final class DaemonFixture extends Fixture<DaemonProcess> {
    /** Adjusts the daemon's builder before the start; may also prepare files under {@code builder.root()}. */
    @FunctionalInterface
    public interface Setup {
        DaemonProcess.Builder configure(DaemonProcess.Builder builder) throws Exception;
    }

    public DaemonFixture() {
        this(builder -> builder);
    }

    public DaemonFixture(Setup setup) {
        super("daemon", dir -> setup.configure(DaemonProcess.builder(dir)).start());
    }

    public DaemonProcess process() {
        return get();
    }

    /** A fresh client connection over the Unix socket, handshake done. */
    public StoreClient client() throws IOException {
        return get().client();
    }

    public StoreClient client(ClientOptions options) throws IOException {
        return StoreClient.connectUnix(get().socketPath(), options);
    }

    /** A fresh byte-level connection, before the handshake. */
    public RawClient raw() throws IOException {
        return get().raw();
    }
}
