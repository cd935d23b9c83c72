package loomd.daemon.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.SessionRoots;
import loomd.daemon.store.TestStores;
import loomd.protocol.wire.StderrCode;

/** The session layer over a real Unix socket and a real store. */
class SessionTest extends SessionFixture {

    @Test
    void handshakeThenValidPath() throws IOException {
        connect(nobody());
        handshake();
        isValid(HELLO);
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
        isValid(HELLO.replace("hello", "other"));
        assertEquals(null, awaitLast());
        assertEquals(0, in.readU64());
    }

    @Test
    void wrongMagicClosesWithoutReply() throws IOException {
        connect(nobody());
        out.writeU64(0x12345678L);
        out.flush();
        assertTrue(closedByDaemon());
    }

    @Test
    void badPathInIsValidPathIsRecoverable() throws IOException {
        connect(nobody());
        handshake();
        isValid("/tmp/not-in-store");
        assertEquals("path `/tmp/not-in-store' is not in the store", awaitLast());
        isValid(HELLO);
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
    }

    @Test
    void badPathInQueryPathInfoIsFatal() throws IOException {
        connect(nobody());
        handshake();
        out.writeU64(26);
        out.writeString("/tmp/x");
        out.flush();
        assertEquals("path `/tmp/x' is not in the store", awaitLast());
        assertTrue(closedByDaemon());
    }

    @Test
    void invalidPathInfoIsRecoverable() throws IOException {
        connect(nobody());
        handshake();
        String missing = HELLO.replace("hello", "missing");
        out.writeU64(26);
        out.writeString(missing);
        out.flush();
        assertEquals("path `" + missing + "' is not valid", awaitLast());
        isValid(HELLO);
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
    }

    @Test
    void unknownOpIsFatal() throws IOException {
        connect(nobody());
        handshake();
        out.writeU64(2);
        out.flush();
        assertEquals("invalid operation 2", awaitLast());
        assertTrue(closedByDaemon());
    }

    @Test
    void lyingLengthPrefixIsRejectedBeforeAllocation() throws IOException {
        connect(nobody());
        handshake();
        out.writeU64(8);              // wopAddTextToStore
        out.writeString("x");
        out.writeU64(0xFFFF_FFF0L);   // claims ~4 GiB of text
        out.flush();
        String error = awaitLast();
        assertTrue(error.contains("above the limit"), error);
        assertTrue(closedByDaemon());
    }

    @Test
    void highBytesInAnIntAreFatal() throws IOException {
        connect(nobody());
        handshake();
        out.writeU64(19);
        out.writeU64(1L << 40);
        out.flush();
        assertEquals("implementation cannot deal with > 32-bit integers", awaitLast());
        assertTrue(closedByDaemon());
    }

    @Test
    void pendingOpsAnswerAndKeepTheConnection() throws IOException {
        connect(nobody());
        handshake();
        out.writeU64(9);
        out.writeStrings(List.of(HELLO_DRV));
        out.writeU64(0);
        out.flush();
        assertEquals("invalid operation 9", awaitLast(), "upstream's text for an op it does not perform");
        out.writeU64(34);
        out.flush();
        assertEquals(null, awaitLast(), "optimise is for any client");
        assertEquals(1, in.readU64());
        out.writeU64(35);
        out.writeU64(0);
        out.writeU64(1);
        out.flush();
        assertEquals("you are not privileged to repair paths", awaitLast());
        isValid(HELLO);
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
    }

    @Test
    void repairBuildIsFatalForUntrusted() throws IOException {
        connect(nobody());
        handshake();
        out.writeU64(9);
        out.writeStrings(List.of(HELLO));
        out.writeU64(1);
        out.flush();
        assertEquals("repairing is a privileged operation", awaitLast());
        assertTrue(closedByDaemon());
    }

    @Test
    void garbageCollectionIsFatalForRemotePeers() throws IOException {
        connect(Peer.remote("127.0.0.1"));
        handshake();
        out.writeU64(20);
        out.flush();
        assertEquals("Garbage collection is disabled for remote hosts.", awaitLast());
        assertTrue(closedByDaemon());
    }

    @Test
    void untrustedOverridesGetThePrefix() throws IOException {
        connect(nobody());
        handshake();
        assertEquals(List.of("https://bordeaux.guix.gnu.org", "https://ci.guix.gnu.org"), substituteUrls());
        setOptions(List.of(Map.entry("substitute-urls", "https://mine.example"), Map.entry("build-cores", "3")));
        assertEquals(null, awaitLast());
        assertEquals(List.of("https://mine.example"), substituteUrls());
    }

    @Test
    void malformedSettingIsFatal() throws IOException {
        connect(nobody());
        handshake();
        setOptions(List.of(Map.entry("multiplexed-build-output", "yes")));
        assertEquals("configuration option `multiplexed-build-output' should be either `true' or `false', not `yes'",
                awaitLast());
        assertTrue(closedByDaemon());
    }

    @Test
    void exportStreamsWriteFramesAndImportPullsOnlyWhatItNeeds() throws IOException {
        String big = addText("big.txt", "0123456789".repeat(10_000).getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        store.archives().exportPath(big, false, expected);
        Bundle bundle = signedBundleFromAnotherStore();
        byte[] signed = bundle.bytes();
        connect(nobody());
        handshake();
        out.writeU64(16);
        out.writeString(big);
        out.writeU64(0);
        out.flush();
        ByteArrayOutputStream exported = new ByteArrayOutputStream();
        int frames = 0;
        List<String> messages = new ArrayList<>();
        while (true) {
            long code = in.readU64();
            if (code == StderrCode.LAST) break;
            byte[] data = in.readBytes(loomd.protocol.wire.LimitKind.BYTES);
            if (code == StderrCode.WRITE) {
                exported.write(data);
                frames++;
            } else {
                messages.add(new String(data));
            }
        }
        assertEquals(1, in.readU64());
        assertTrue(expected.size() > 100_000, "the NAR of 100,000 bytes and the export's trailer");
        assertArrayEquals(expected.toByteArray(), exported.toByteArray(), "the store's export, byte for byte");
        assertEquals((expected.size() + TunnelSink.FRAME - 1) / TunnelSink.FRAME, frames, "64 KiB frames");
        assertEquals(List.of("exporting path `" + big + "'\n"), messages);

        out.writeU64(27);
        out.flush();
        int sent = 0;
        int reads = 0;
        while (true) {
            long code = in.readU64();
            if (code == StderrCode.LAST) break;
            assertEquals(StderrCode.READ, code);
            int max = (int) in.readU64();
            reads++;
            int n = Math.min(max, signed.length - sent);
            assertTrue(n > 0, "the daemon asked for more than the stream holds");
            out.writeBytes(signed, sent, n);
            out.flush();
            sent += n;
        }
        assertEquals(List.of(bundle.path()), in.readStrings(loomd.protocol.wire.LimitKind.STRING));
        assertEquals(signed.length, sent, "the bundle ends with its end marker: all of it is needed");
        assertEquals((signed.length + StderrChannel.READ_CHUNK - 1) / StderrChannel.READ_CHUNK, reads,
                "one request per chunk it lacks, so more than one for this bundle");
        assertTrue(store.queries().isValidPath(bundle.path()));
        assertEquals(40_000, Files.size(store.config().physical(bundle.path())));
    }

    /** A signed export bundle and the one path it holds. */
    record Bundle(String path, byte[] bytes) {}

    /** A signed export of a new 40,000-byte path, made by another store with the same fake signer. */
    Bundle signedBundleFromAnotherStore() throws IOException {
        Path other = Files.createDirectories(dir.resolve("other"));
        try (LocalStore source = TestStores.open(TestStores.signing(TestStores.config(other), other));
                SessionRoots roots = source.roots().openSessionRoots()) {
            byte[] text = "x".repeat(40_000).getBytes(StandardCharsets.US_ASCII);
            String path = source.adds().addTextToStore("imported.txt", text, new TreeSet<>(), roots);
            assertFalse(store.queries().isValidPath(path), "not in the session's store before the import");
            return new Bundle(path, TestStores.bundle(source, true, path));
        }
    }

    @Test
    void tempRootsAreReleasedAtSessionEnd() throws Exception {
        connect(nobody());
        handshake();
        out.writeU64(11);
        out.writeString(HELLO);
        out.flush();
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
        List<Path> files = sessionTempRootsFiles();
        assertEquals(1, files.size(), "the session's temp-roots file");
        assertEquals(List.of(HELLO), sessionTempRoots());
        client.close();
        sessionThread.join(5000);
        assertFalse(Files.exists(files.get(0)), "removed when the session ends");
        assertEquals(List.of(), sessionTempRootsFiles());
    }

    @Test
    void aSessionEndedByAResetNeverGivesItsBuffersBackTwice() throws Exception {
        // The client leaves a reply unread and closes: the session's next read fails (ECONNRESET),
        // after the op loop already gave its first pair back. Before the fix the pair went back a
        // second time, and two later sessions could then share one reader.
        for (int i = 0; i < 3; i++) {
            connect(nobody());
            handshake();
            isValid(HELLO);
            client.close();
            client = null;
            sessionThread.join(5000);
            List<WireBuffers> idle = Session.idleBuffers(loomd.protocol.wire.WireLimits.DEFAULT);
            var distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<WireBuffers, Boolean>());
            distinct.addAll(idle);
            assertEquals(idle.size(), distinct.size(), "a pair is idle at most once");
        }
    }
}
