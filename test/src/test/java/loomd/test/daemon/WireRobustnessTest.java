package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.test.support.DaemonFixture;
import loomd.test.support.RawClient;
import loomd.testkit.Poll;

/**
 * What a hostile or broken client can send: each case gets a clear error (or a silent close where
 * upstream closes silently), and after each the daemon still serves a fresh client.
 */
class WireRobustnessTest {
    static final String HELLO = "/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt";
    /** Generous: a passing test stops waiting at the close; a loaded machine may take seconds to get there. */
    static final Duration CLOSE = Duration.ofSeconds(30);

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture();

    @AfterEach
    void daemonStillServes() throws IOException {
        assertTrue(daemon.process().isAlive(), daemon.process().log());
        try (RawClient c = client().handshake()) {
            c.out.writeU64(1);
            c.out.writeString(HELLO);
            c.out.flush();
            assertEquals(null, c.awaitReply());
            assertEquals(0, c.in.readU64());
        } catch (IOException e) {
            throw new AssertionError("a fresh client was not served; the daemon's log:\n" + daemon.process().log(), e);
        }
    }

    RawClient client() throws IOException {
        return daemon.raw();
    }

    @Test
    void wrongMagicClosesWithoutAReply() throws IOException {
        try (RawClient c = client()) {
            c.out.writeU64(0x12345678L);
            c.out.flush();
            assertTrue(c.closedByDaemon(CLOSE));
        }
    }

    @Test
    void hangUpMidHandshake() throws IOException {
        try (RawClient c = client()) {
            c.channel.write(ByteBuffer.wrap(new byte[] {0x63, 0x78}));
        }
    }

    @Test
    void unknownOperation() throws IOException {
        try (RawClient c = client().handshake()) {
            c.out.writeU64(2);
            c.out.flush();
            assertEquals("invalid operation 2", c.awaitReply());
            assertTrue(c.closedByDaemon(CLOSE));
        }
        try (RawClient c = client().handshake()) {
            c.out.writeU64(0xFFFF_FFFFL);
            c.out.flush();
            assertEquals("invalid operation 4294967295", c.awaitReply());
        }
    }

    @Test
    void lyingLengthPrefixAllocatesNothing() throws IOException {
        try (RawClient c = client().handshake()) {
            c.out.writeU64(8);
            c.out.writeString("x.txt");
            c.out.writeU64(0xFFFF_FFF0L);
            c.out.flush();
            String error = c.awaitReply();
            assertTrue(error.contains("above the limit"), error);
            assertTrue(c.closedByDaemon(CLOSE));
        }
        try (RawClient c = client().handshake()) {
            // Within the limit, but the bytes never come: the daemon waits, then sees EOF.
            c.out.writeU64(8);
            c.out.writeString("x.txt");
            c.out.writeU64(200L << 20);
            c.out.writeRaw(new byte[1000], 0, 1000);
            c.out.flush();
            c.channel.shutdownOutput();
            String error = c.awaitReply();
            assertTrue(error.startsWith("unexpected end-of-file"), error);
        }
    }

    @Test
    void malformedFrames() throws IOException {
        try (RawClient c = client().handshake()) {
            c.out.writeU64(1);
            c.out.writeU64(3);
            c.out.writeRaw(new byte[] {'a', 'b', 'c', 0, 0, 1, 0, 0}, 0, 8);
            c.out.flush();
            assertEquals("non-zero padding", c.awaitReply());
            assertTrue(c.closedByDaemon(CLOSE));
        }
        try (RawClient c = client().handshake()) {
            c.out.writeU64(1L << 33 | 1);
            c.out.flush();
            assertTrue(c.closedByDaemon(CLOSE));
        }
        try (RawClient c = client().handshake()) {
            c.out.writeU64(7);
            c.out.writeString("bad-nar");
            c.out.writeU64(1);
            c.out.writeU64(1);
            c.out.writeString("sha256");
            c.out.writeString("not-a-nar-magic");
            c.out.flush();
            String error = c.awaitReply();
            assertTrue(error != null && !error.isEmpty());
            assertTrue(c.closedByDaemon(CLOSE));
        }
    }

    @Test
    void nulByteInAnIndirectRootIsAnOrdinaryError() throws IOException {
        try (RawClient c = client().handshake()) {
            c.out.writeU64(12);
            c.out.writeString(daemon.process().root() + "/a\0b");
            c.out.flush();
            String error = c.awaitReply();
            assertTrue(error != null && !error.isEmpty(), "no link can have that name");
            c.out.writeU64(1);
            c.out.writeString(HELLO);
            c.out.flush();
            assertEquals(null, c.awaitReply(), "the connection stays usable");
            assertEquals(0, c.in.readU64());
        }
    }

    @Test
    void badStorePathArgumentIsFatal() throws IOException {
        try (RawClient c = client().handshake()) {
            c.out.writeU64(26);
            c.out.writeString("/gnu/storex/abc");
            c.out.flush();
            assertEquals("path `/gnu/storex/abc' is not in the store", c.awaitReply());
            assertTrue(c.closedByDaemon(CLOSE));
        }
    }

    @Test
    void hangUpDuringALongExportEndsTheSession() throws Exception {
        byte[] big = new byte[32 << 20];
        new java.util.Random(1).nextBytes(big);
        String path;
        try (var c = daemon.client()) {
            path = c.addToStore("big", false, "sha256", new java.io.ByteArrayInputStream(
                    loomd.test.support.TestNar.of(new loomd.test.support.TestNar.File(big, false))));
        }
        try (RawClient c = client().handshake()) {
            c.out.writeU64(16);
            c.out.writeString(path);
            c.out.writeU64(0);
            c.out.flush();
            assertEquals(0x6f6c6d67L, c.in.readU64()); // "exporting path ..."
            c.in.readBytes(loomd.protocol.wire.LimitKind.BYTES);
            assertEquals(0x64617416L, c.in.readU64()); // the first STDERR_WRITE frame
        }
        String log = Poll.until(Duration.ofSeconds(10), () -> daemon.process().log(),
                l -> l.contains("hung up") || l.contains("ended:"));
        assertTrue(log.contains("hung up") || log.contains("ended:"), log);
    }

    @Test
    void hangUpDuringImportReleasesTheSession() throws IOException {
        try (RawClient c = client().handshake()) {
            c.out.writeU64(27);
            c.out.flush();
            assertEquals(0x64617461L, c.in.readU64());
            assertEquals(32768, c.in.readU64());
        }
    }
}
