package loomd.daemon.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.Layout;
import loomd.daemon.Settings;
import loomd.daemon.store.LocalStore;
import loomd.daemon.store.SessionRoots;
import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.TestStores;
import loomd.protocol.store.StoreDir;
import loomd.protocol.wire.StderrCode;
import loomd.protocol.wire.WireLimits;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;

/**
 * A session over a real Unix socket and a real store (in the fixture's layout, on the test JVM's
 * shared locker process, with the fake {@code guix authenticate}), and a raw wire client: the
 * harness of the session-layer tests. {@link #HELLO} is valid in every test's store.
 */
abstract class SessionFixture {
    static final String HELLO = "/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt";
    static final String HELLO_DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";

    @TempDir Path dir;
    ServerSocketChannel server;
    Layout layout;
    LocalStore store;
    /** The temp-roots files there were when the session connected: those of the session are the others. */
    Set<Path> tempRootsBefore = Set.of();
    final List<String> log = new CopyOnWriteArrayList<>();
    Thread sessionThread;

    SocketChannel client;
    WireReader in;
    WireWriter out;

    @BeforeEach
    void setUp() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
        layout = Layout.of(Map.of(), dir.resolve("root"));
        // As the daemon configures its store from its layout (Backends), so session and store agree.
        StoreConfig config = StoreConfig.of(new StoreDir(layout.storeDir()), Optional.of(layout.storeRoot()),
                layout.stateDir(), layout.confDir());
        store = TestStores.open(TestStores.signing(config, dir));
        assertEquals(HELLO, addText("hello.txt", "hello world\n".getBytes(StandardCharsets.UTF_8)));
    }

    /** Adds a text file with no references, as a client before this test's session did. */
    String addText(String name, byte[] text) {
        try (SessionRoots roots = store.roots().openSessionRoots()) {
            return store.adds().addTextToStore(name, text, new TreeSet<>(), roots);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) client.close();
        if (sessionThread != null) {
            sessionThread.join(5000);
            assertFalse(sessionThread.isAlive(), "the session ends when its client hangs up");
        }
        server.close();
        if (store != null) store.close();
    }

    void connect(Peer peer) throws IOException {
        client = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("s")));
        SocketChannel accepted = server.accept();
        tempRootsBefore = Set.copyOf(tempRootsFiles());
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

    /** Every file under {@code V/temproots/}, the store's own included. */
    List<Path> tempRootsFiles() throws IOException {
        try (Stream<Path> files = Files.list(layout.stateDir().resolve("temproots"))) {
            return files.sorted().toList();
        }
    }

    /** The session's temp-roots files: those made since it connected (tests that use it add nothing). */
    List<Path> sessionTempRootsFiles() throws IOException {
        return tempRootsFiles().stream().filter(f -> !tempRootsBefore.contains(f)).toList();
    }

    /** The roots the session wrote, in order: each file holds {@code path\0} per root. */
    List<String> sessionTempRoots() throws IOException {
        List<String> roots = new ArrayList<>();
        for (Path file : sessionTempRootsFiles()) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            assertTrue(text.isEmpty() || text.endsWith("\0"), "every root ends with a NUL: " + text);
            if (!text.isEmpty()) roots.addAll(List.of(text.substring(0, text.length() - 1).split("\0", -1)));
        }
        return roots;
    }

    List<String> substituteUrls() throws IOException {
        out.writeU64(81);
        out.flush();
        assertEquals(null, awaitLast());
        return in.readStrings(loomd.protocol.wire.LimitKind.STRING);
    }

}
