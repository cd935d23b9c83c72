package loomd.daemon.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.Layout;
import loomd.daemon.Settings;
import loomd.protocol.wire.StderrCode;
import loomd.protocol.wire.WireLimits;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * A session over a real Unix socket with an in-memory store ({@link FakeStore}), and a raw wire
 * client: the harness of the session-layer tests.
 */
abstract class SessionFixture {
    static final String HELLO = "/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt";
    static final String HELLO_DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";

    @TempDir Path dir;
    ServerSocketChannel server;
    final FakeStore store = new FakeStore();
    final List<String> log = new CopyOnWriteArrayList<>();
    Thread sessionThread;

    SocketChannel client;
    WireReader in;
    WireWriter out;

    @BeforeEach
    void setUp() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
        store.add(HELLO);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) client.close();
        if (sessionThread != null) {
            sessionThread.join(5000);
            assertFalse(sessionThread.isAlive(), "the session ends when its client hangs up");
        }
        server.close();
    }

    void connect(Peer peer) throws IOException {
        client = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("s")));
        SocketChannel accepted = server.accept();
        Layout layout = Layout.of(Map.of(), dir.resolve("root"));
        Settings settings = new Settings();
        settings.set("build-use-substitutes", "true");
        settings.set("substitute-urls", Settings.DEFAULT_SUBSTITUTE_URLS);
        sessionThread = Thread.ofVirtual().start(() -> {
            try (accepted) {
                new Session(accepted, peer, settings, store, layout, 1, WireLimits.DEFAULT, log::add).run();
            } catch (IOException ignored) {
            }
        });
        in = new WireReader(Channels.newInputStream(client));
        out = new WireWriter(Channels.newOutputStream(client));
    }

    void handshake() throws IOException {
        out.writeU64(0x6e697863L);
        out.flush();
        assertEquals(0x6478696fL, in.readU64());
        assertEquals(0x164, in.readU64());
        out.writeU64(0x164);
        out.writeU64(0);
        out.writeU64(1);
        out.flush();
        assertEquals(StderrCode.LAST, in.readU64());
    }

    Peer nobody() {
        return Peer.local(1234, 65534, 65534, "nobody");
    }

    /** Reads frames until LAST (returns null) or ERROR (returns the message). */
    String awaitLast() throws IOException {
        while (true) {
            long code = in.readU64();
            if (code == StderrCode.LAST) return null;
            if (code == StderrCode.NEXT || code == StderrCode.WRITE) {
                in.readBytes(loomd.protocol.wire.LimitKind.BYTES);
                continue;
            }
            assertEquals(StderrCode.ERROR, code, "frame code");
            String message = in.readString(loomd.protocol.wire.LimitKind.STRING);
            assertEquals(1, in.readU64());
            return message;
        }
    }

    void isValid(String path) throws IOException {
        out.writeU64(1);
        out.writeString(path);
        out.flush();
    }

    boolean closedByDaemon() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1);
        return client.read(b) == -1;
    }

    void setOptions(List<Map.Entry<String, String>> overrides) throws IOException {
        out.writeU64(19);
        for (long v : new long[] {0, 0, 0, 0, 0, 0, 0, 1, 1}) out.writeU64(v);
        out.writeStringPairs(overrides);
        out.flush();
    }

    List<String> substituteUrls() throws IOException {
        out.writeU64(81);
        out.flush();
        assertEquals(null, awaitLast());
        return in.readStrings(loomd.protocol.wire.LimitKind.STRING);
    }

}
