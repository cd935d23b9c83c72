package loomd.locker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import loomd.posix.HelperBinary;
import loomd.posix.HelperSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native locker's start-up checks and frame decoding (contract rules 1, 8 and 9), driven over a raw
 * socket: anything malformed ends it with exit code 1 and a message, the end of the link with exit code 0.
 */
class NativeLockerFrameTest {
    @TempDir
    Path dir;

    private Process process;
    private SocketChannel link;

    @AfterEach
    void stop() throws IOException {
        if (link != null) {
            link.close();
        }
        if (process != null) {
            process.destroyForcibly();
        }
    }

    /** Starts the binary as the daemon would, with {@code daemonPid} as its second argument. */
    private void start(long daemonPid) throws IOException {
        Path binary = HelperBinary.extract(LockerProgram.class, LockerProgram.RESOURCE, LockerProgram.BINARY_NAME,
                dir.resolve("bin"));
        try (HelperSocket socket = HelperSocket.bind(dir.resolve("run"), "locker")) {
            process = new ProcessBuilder(binary.toString(), socket.path().toString(), Long.toString(daemonPid))
                    .redirectError(dir.resolve("stderr").toFile()).start();
            link = socket.accept(process, Duration.ofSeconds(30));
        }
    }

    private void send(byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            link.write(buffer);
        }
    }

    private String exitsWith(int code) throws Exception {
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the locker is still running");
        String stderr = Files.readString(dir.resolve("stderr"), StandardCharsets.UTF_8);
        assertEquals(code, process.exitValue(), stderr);
        return stderr;
    }

    /** A frame: the length, then id 1, then {@code rest}. */
    private static byte[] frame(byte... rest) {
        return ByteBuffer.allocate(4 + 8 + rest.length).putInt(8 + rest.length).putLong(1).put(rest).array();
    }

    @Test
    void aWellFormedRequestIsAnswered() throws Exception {
        start(ProcessHandle.current().pid());
        send(Wire.encode(new Wire.Request.Stats(9)));
        ByteBuffer reply = ByteBuffer.allocate(4 + 8 + 1 + 16);
        while (reply.hasRemaining()) {
            assertTrue(link.read(reply) > 0);
        }
        Wire.Reply decoded = Wire.decodeReply(java.util.Arrays.copyOfRange(reply.array(), 4, reply.capacity()));
        assertEquals(9, decoded.id());
        assertTrue(decoded instanceof Wire.Reply.StatsReply s && s.heldLocks() == 0 && s.waiting() == 0, decoded.toString());
    }

    @Test
    void theEndOfTheLinkEndsTheLockerCleanly() throws Exception {
        start(ProcessHandle.current().pid());
        link.close();
        link = null;
        assertEquals("", exitsWith(0));
    }

    @Test
    void aFrameAboveTheLimitIsFatalBeforeItsBytesArrive() throws Exception {
        start(ProcessHandle.current().pid());
        send(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0});
        assertTrue(exitsWith(1).contains("length 2147483647 is above 1048576"));
    }

    @Test
    void aFieldRunningPastItsFrameIsFatal() throws Exception {
        start(ProcessHandle.current().pid());
        // LOCK_PATH, owner 7, shared, wait, no flags, then a string claiming 1000 bytes of which 3 follow.
        send(frame(ByteBuffer.allocate(1 + 8 + 3 + 4 + 3).put((byte) 1).putLong(7).put(new byte[3])
                .putInt(1000).put("/ab".getBytes(StandardCharsets.US_ASCII)).array()));
        assertTrue(exitsWith(1).contains("runs past its end"));
    }

    @Test
    void bytesLeftOverInAFrameAreFatal() throws Exception {
        start(ProcessHandle.current().pid());
        send(frame((byte) 7, (byte) 0));
        assertTrue(exitsWith(1).contains("left over"));
    }

    @Test
    void anUnknownOpOrModeIsFatal() throws Exception {
        start(ProcessHandle.current().pid());
        send(frame((byte) 42));
        assertTrue(exitsWith(1).contains("unknown op 42"));
    }

    @Test
    void aBadLockModeIsFatal() throws Exception {
        start(ProcessHandle.current().pid());
        send(frame(ByteBuffer.allocate(1 + 8 + 2).put((byte) 2).putLong(7).put((byte) 2).put((byte) 0).array()));
        assertTrue(exitsWith(1).contains("lock mode 2"));
    }

    @Test
    void aLockFdFrameWithoutItsFdIsFatal() throws Exception {
        start(ProcessHandle.current().pid());
        send(Wire.encode(new Wire.Request.LockFd(5, 7, LockMode.EXCLUSIVE, Wait.TRY)));
        assertTrue(exitsWith(1).contains("lock-fd request 5 came without its fd"));
    }

    @Test
    void aLockerWhoseParentIsNotTheDaemonRefusesToServe() throws Exception {
        long notTheParent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(2L);
        IOException e = assertThrows(IOException.class, () -> start(notTheParent));
        assertTrue(e.getMessage().contains("exited before connecting"), e.getMessage());
        assertTrue(exitsWith(1).contains("not the daemon " + notTheParent));
    }
}
