package loomd.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FdPassingTest {
    @TempDir
    Path dir;
    int[] link;

    @BeforeEach
    void connect() throws Exception {
        link = Fds.socketpair();
    }

    @AfterEach
    void disconnect() {
        Fds.closeQuietly(link[0]);
        Fds.closeQuietly(link[1]);
    }

    @Test
    void passesAPipeEndThatStillWorks() throws Exception {
        int[] pipe = Fds.pipe();
        FdPassing.send(link[0], "x".getBytes(StandardCharsets.US_ASCII), pipe[1]);
        Fds.close(pipe[1]);
        byte[] buf = new byte[8];
        FdPassing.Received got = FdPassing.recv(link[1], buf, 4);
        assertEquals(1, got.length());
        assertEquals(1, got.fds().length);
        int received = got.fds()[0];
        assertTrue(Fds.isCloexec(received), "MSG_CMSG_CLOEXEC");
        Fds.writeFully(received, "through".getBytes(StandardCharsets.US_ASCII));
        Fds.close(received);
        byte[] out = new byte[16];
        assertEquals(7, Fds.read(pipe[0], out, 0, out.length));
        assertEquals(0, Fds.read(pipe[0], out, 0, out.length), "all write ends are closed");
        Fds.close(pipe[0]);
    }

    @Test
    void passesSeveralFdsAndPlainData() throws Exception {
        Path f1 = Files.writeString(dir.resolve("one"), "1");
        Path f2 = Files.writeString(dir.resolve("two"), "22");
        int a = Fds.open(f1.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        int b = Fds.open(f2.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        FdPassing.send(link[0], new byte[] {7, 8, 9}, a, b);
        FdPassing.send(link[0], new byte[] {10});
        Fds.close(a);
        Fds.close(b);
        byte[] buf = new byte[3];
        FdPassing.Received got = FdPassing.recv(link[1], buf, 2);
        assertEquals(3, got.length());
        assertEquals(2, got.fds().length);
        assertEquals(1, Fds.fstat(got.fds()[0]).size());
        assertEquals(2, Fds.fstat(got.fds()[1]).size());
        FdPassing.Received plain = FdPassing.recv(link[1], buf, 2);
        assertEquals(new FdPassing.Received(1, new int[0]), plain);
        assertEquals(10, buf[0]);
        Arrays.stream(got.fds()).forEach(Fds::closeQuietly);
    }

    @Test
    void truncatedControlDataIsAnErrorAndLeaksNothing() throws Exception {
        int[] pipe = Fds.pipe();
        int[] more = Fds.pipe();
        FdPassing.send(link[0], new byte[] {1}, pipe[0], pipe[1], more[0]);
        for (int fd : new int[] {pipe[0], pipe[1], more[0], more[1]}) {
            Fds.close(fd);
        }
        int before = Fds.openFdCount();
        IOException e = assertThrows(IOException.class, () -> FdPassing.recv(link[1], new byte[4], 1));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(before, Fds.openFdCount());
    }

    @Test
    void largeDataArrivesWholeAcrossPartialWrites() throws Exception {
        byte[] data = new byte[4 << 20];
        new Random(1).nextBytes(data);
        int[] pipe = Fds.pipe();
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try {
                byte[] all = new byte[data.length];
                int done = 0;
                int[] fds = new int[0];
                while (done < all.length) {
                    FdPassing.Received r = FdPassing.recv(link[1], all, done, all.length - done, 1);
                    if (r.endOfStream()) {
                        break;
                    }
                    if (r.fds().length > 0) {
                        fds = r.fds();
                    }
                    done += r.length();
                }
                assertEquals(1, fds.length);
                Fds.close(fds[0]);
                return Arrays.copyOf(all, done);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofPlatform().start(r));
        FdPassing.send(link[0], data, pipe[1]);
        assertArrayEquals(data, read.get(30, TimeUnit.SECONDS));
        Fds.close(pipe[0]);
        Fds.close(pipe[1]);
    }

    @Test
    void endOfStreamIsZeroLength() throws Exception {
        Fds.close(link[0]);
        link[0] = -1;
        assertTrue(FdPassing.recv(link[1], new byte[4], 1).endOfStream());
    }

    @Test
    void sendToAClosedPeerIsEpipeNotASignal() throws Exception {
        Fds.close(link[1]);
        link[1] = -1;
        PosixException e = assertThrows(PosixException.class, () -> FdPassing.send(link[0], new byte[] {1}));
        assertEquals(Errno.EPIPE, e.errno());
    }

    @Test
    void fdsNeedData() {
        assertThrows(IllegalArgumentException.class, () -> FdPassing.send(link[0], new byte[0], 0));
    }

    @Test
    void receivesAnFdFromPython() throws Exception {
        Path file = Files.writeString(dir.resolve("from-python"), "python wrote this");
        Path socket = dir.resolve("s");
        String script = """
                import os, socket, sys
                s = socket.socket(socket.AF_UNIX)
                s.connect(sys.argv[1])
                fd = os.open(sys.argv[2], os.O_RDONLY)
                socket.send_fds(s, [b'P'], [fd])
                """;
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
            Process python = new ProcessBuilder("python3", "-c", script, socket.toString(), file.toString())
                    .inheritIO().start();
            try (var accepted = server.accept()) {
                byte[] buf = new byte[1];
                FdPassing.Received got = FdPassing.recv(Fds.fdOf(accepted), buf, 1);
                assertEquals('P', buf[0]);
                assertEquals(1, got.fds().length);
                byte[] content = new byte[64];
                int n = Fds.read(got.fds()[0], content, 0, content.length);
                assertEquals("python wrote this", new String(content, 0, n, StandardCharsets.UTF_8));
                Fds.close(got.fds()[0]);
            } finally {
                assertTrue(python.waitFor(10, TimeUnit.SECONDS));
                assertEquals(0, python.exitValue());
            }
        }
    }
}
