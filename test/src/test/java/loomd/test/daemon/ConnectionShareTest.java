package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import loomd.test.support.DaemonProcess;
import loomd.test.support.RawClient;

/**
 * The connection limit cannot be monopolised: one unprivileged user (uid 65534, through setpriv)
 * that opens more connections than its share has the surplus closed at once, and root and other
 * users are still served; connections that never handshake, or never send an operation, are
 * closed after their time-outs.
 */
class ConnectionShareTest {
    /** Opens N connections, handshakes each, prints ok/closed/timeout per connection, holds them until stdin ends. */
    static final String HOLDER = """
            import socket, struct, sys
            path, count = sys.argv[1], int(sys.argv[2])
            held = []
            def n(s, k):
                b = b""
                while len(b) < k:
                    c = s.recv(k - len(b))
                    if not c: raise EOFError()
                    b += c
                return b
            def handshake(s):
                s.sendall(struct.pack("<Q", 0x6e697863)); n(s, 16)
                s.sendall(struct.pack("<QQQ", 0x164, 0, 1))
                while True:
                    code = struct.unpack("<Q", n(s, 8))[0]
                    if code == 0x616c7473: return "ok"
                    if code != 0x6f6c6d67: return "error %x" % code
                    k = struct.unpack("<Q", n(s, 8))[0]; n(s, k + (-k) % 8)
            for i in range(count):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                try:
                    s.connect(path)
                    print(handshake(s), flush=True)
                except (EOFError, ConnectionError):
                    print("closed", flush=True)
                except socket.timeout:
                    print("timeout", flush=True)
                held.append(s)
            print("ready", flush=True)
            sys.stdin.read()
            """;

    Path root;
    DaemonProcess daemon;
    final List<Process> holders = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to switch uid");
        root = Files.createTempDirectory(Path.of("/tmp"), "loomd-share-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path script = root.resolve("holder.py");
        Files.writeString(script, HOLDER);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterEach
    void tearDown() throws IOException {
        holders.forEach(Process::destroyForcibly);
        if (daemon != null) {
            daemon.close();
        }
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Runs the holder as {@code uid}; returns one result per connection once all are open. */
    List<String> hold(int uid, int connections) throws IOException {
        // The system python: a per-user one (pyenv under /root) is not readable by other uids.
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process p = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", python,
                root.resolve("holder.py").toString(), daemon.socketPath().toString(), Integer.toString(connections))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        holders.add(p);
        List<String> results = new ArrayList<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null && !line.equals("ready"); line = out.readLine()) {
            results.add(line);
        }
        return results;
    }

    /** True if a root client completes its handshake within {@code timeout}. */
    boolean rootServed(Duration timeout) throws Exception {
        try (SocketChannel ch = rootConnection(timeout)) {
            return ch != null;
        }
    }

    /** A root connection that has completed its handshake within {@code timeout}, or null. */
    SocketChannel rootConnection(Duration timeout) throws Exception {
        SocketChannel ch = daemon.connectUnix();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<Long> code = CompletableFuture.supplyAsync(() -> {
                try {
                    return DaemonProcess.handshake(ch);
                } catch (IOException e) {
                    return -1L;
                }
            }, executor);
            boolean served;
            try {
                served = code.get(timeout.toMillis(), TimeUnit.MILLISECONDS) == 0x616c7473L;
            } catch (TimeoutException e) {
                served = false;
            }
            if (!served) {
                ch.close(); // also unblocks the handshake so that the executor can close
            }
            return served ? ch : null;
        }
    }

    @Test
    void oneUserOverItsShareLeavesRootAndOthersServed() throws Exception {
        // The defaults under --max-connections=8: 2 per user, 2 kept for root.
        daemon = DaemonProcess.builder(root).args("--max-connections=8").start();
        List<String> nobody = hold(65534, 8);
        assertTrue(rootServed(Duration.ofSeconds(5)), "root locked out: " + nobody);
        assertEquals(List.of("ok"), hold(65533, 1), daemon.log());
        assertEquals(8, nobody.size(), nobody.toString());
        assertEquals(2, Collections.frequency(nobody, "ok"), nobody.toString());
        assertEquals(6, Collections.frequency(nobody, "closed"), "the surplus is closed at once: " + nobody);
        assertTrue(daemon.log().contains("refusing connection from uid 65534"), daemon.log());
    }

    @Test
    void rootKeepsItsReservedSlotsWhenTheOthersAreFull() throws Exception {
        daemon = DaemonProcess.builder(root)
                .args("--max-connections=6", "--max-user-connections=3", "--root-connections=1").start();
        assertEquals(List.of("ok", "ok", "ok"), hold(65534, 3));
        assertEquals(List.of("ok", "ok", "closed"), hold(65533, 3), "5 slots for users other than root");
        try (SocketChannel rootHeld = rootConnection(Duration.ofSeconds(5))) {
            assertTrue(rootHeld != null, "the reserved slot: " + daemon.log());
            assertFalse(rootServed(Duration.ofSeconds(1)), "all 6 slots held");
        }
    }

    @Test
    void connectionsThatStayIdleBeforeTheirFirstOperationAreClosed() throws Exception {
        daemon = DaemonProcess.builder(root).args("--handshake-timeout=1", "--first-op-timeout=2").start();
        try (RawClient silent = new RawClient(daemon.connectUnix());
                RawClient idle = new RawClient(daemon.connectUnix()).handshake();
                RawClient working = new RawClient(daemon.connectUnix()).handshake()) {
            working.out.writeU64(1); // wopIsValidPath
            working.out.writeString("/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt");
            working.out.flush();
            assertEquals(null, working.awaitReply());
            assertEquals(0, working.in.readU64());
            long start = System.nanoTime();
            assertTrue(silent.closedByDaemon(Duration.ofSeconds(5)), "no handshake");
            long silentMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(idle.closedByDaemon(Duration.ofSeconds(5)), "no first operation");
            long idleMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(silentMillis < 1900 && idleMillis >= 1000, silentMillis + " ms, " + idleMillis + " ms");
            assertFalse(working.closedByDaemon(Duration.ofSeconds(3)), "timeouts end with the first operation");
            working.out.writeU64(1);
            working.out.writeString("/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt");
            working.out.flush();
            assertEquals(null, working.awaitReply());
            assertEquals(0, working.in.readU64());
        }
        assertTrue(daemon.log().contains("no handshake within 1 s"), daemon.log());
        assertTrue(daemon.log().contains("no operation within 2 s"), daemon.log());
    }
}
