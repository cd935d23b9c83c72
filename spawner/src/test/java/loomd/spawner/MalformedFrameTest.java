package loomd.spawner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spawner's rule 10 against a bad daemon: this test plays the daemon and sends frames no client
 * would build. Each must end the spawner with exit 1 and a message naming the fault, never a crash,
 * a child started from garbage, or an allocation of the claimed size.
 */
class MalformedFrameTest {
    @TempDir
    Path temp;

    /** A request with one fd mapping, child fd 1 from the first fd sent (none is: the frame comes alone). */
    private static byte[] captureRequest() {
        SpawnRequest request = SpawnRequest.builder().argv("/bin/true").build();
        return Wire.spawnFrame(1, request, List.of(new Wire.FdMapping(1, 0)));
    }

    private static byte[] withU32(byte[] frame, int offset, int value) {
        byte[] copy = frame.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return copy;
    }

    @Test
    void anFdSourceOfTwoToTheThirtyOneIsRejectedNotIndexed() throws Exception {
        byte[] frame = captureRequest();
        // The last u32 is the mapping's source index; as a signed int it is negative and passed a signed check.
        assertEquals("bad fd mapping 1 <- #2147483648 (0 fds received)",
                fatalMessage(withU32(frame, frame.length - 4, Integer.MIN_VALUE)));
    }

    @Test
    void aChildFdBeyondTheLimitIsRejected() throws Exception {
        byte[] frame = captureRequest();
        assertTrue(fatalMessage(withU32(frame, frame.length - 8, Integer.MAX_VALUE)).startsWith("bad fd mapping 2147483647 <- #0"));
    }

    @Test
    void aCountTheFrameCannotHoldIsRejectedBeforeAllocating() throws Exception {
        byte[] frame = captureRequest();
        // Header 8, id 8, flags 4, uid 4, gid 4: then the group count.
        assertEquals("bad group count 65536", fatalMessage(withU32(frame, 28, 65536)));
    }

    @Test
    void aStringLongerThanTheFrameIsATruncatedFrame() throws Exception {
        byte[] frame = captureRequest();
        // ... group count 4, four id-map words 16, personality 4, oom 4: then the program's length.
        assertEquals("truncated frame", fatalMessage(withU32(frame, 56, -1)));
    }

    @Test
    void anOversizedFrameLengthIsRejected() throws Exception {
        assertEquals("bad frame length 67108865", fatalMessage(withU32(captureRequest(), 0, (64 << 20) + 1)));
    }

    @Test
    void anUnknownTypeIsRejected() throws Exception {
        assertEquals("unknown request type 77", fatalMessage(withU32(captureRequest(), 4, 77)));
    }

    /** Starts a spawner, sends {@code frame} on its link and returns its last stderr line once it has exited 1. */
    private String fatalMessage(byte[] frame) throws Exception {
        Path binary = SpawnerBinary.extractFromJar(temp.resolve("bin"));
        Path socket = temp.resolve("link");
        Path stderr = temp.resolve("stderr");
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Process spawner = new ProcessBuilder(binary.toString(), socket.toString(), Long.toString(ProcessHandle.current().pid()))
                    .redirectError(stderr.toFile()).start();
            try (SocketChannel link = server.accept()) {
                link.write(ByteBuffer.wrap(frame));
                assertTrue(spawner.waitFor(10, TimeUnit.SECONDS), "the spawner did not exit");
            } finally {
                spawner.destroyForcibly();
            }
            assertEquals(1, spawner.exitValue(), "a fatal error exits 1, not by a signal");
        }
        List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
        String last = lines.getLast();
        assertTrue(last.startsWith("loomd-spawner: "), last);
        return last.substring("loomd-spawner: ".length());
    }
}
