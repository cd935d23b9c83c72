package loomd.protocol.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import loomd.protocol.client.StoreClient;
import loomd.protocol.client.Transcript;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI, driven in-process against in-memory peers that serve recorded daemon bytes. */
class MainTest {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();
    private Transcript transcript;

    private int run(String transcriptName, InputStream stdin, String... args) throws IOException {
        transcript = Transcript.parse(Path.of(System.getProperty("loomd.shared", "/work/shared"), "spec", "transcripts",
                transcriptName + ".txt"));
        ByteArrayInputStream daemon = new ByteArrayInputStream(transcript.daemonBytes());
        Main main = new Main(Map.of(), stdin, new PrintStream(stdout, true), new PrintStream(stderr, true),
                (address, options) -> StoreClient.open(daemon, sent, null, options));
        return main.run(args);
    }

    private String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    /** The CLI made one call, so it sent a prefix of what the recorded client sent. */
    private void assertSentPrefix() {
        byte[] want = transcript.clientBytes();
        byte[] got = sent.toByteArray();
        assertEquals(HexFormat.of().formatHex(Arrays.copyOf(want, Math.min(want.length, got.length))),
                HexFormat.of().formatHex(got));
    }

    private void assertSentAll() {
        assertEquals(HexFormat.of().formatHex(transcript.clientBytes()), HexFormat.of().formatHex(sent.toByteArray()));
    }

    @Test
    void ping() throws Exception {
        assertEquals(0, run("01-handshake", InputStream.nullInputStream(), "ping"));
        assertEquals("0x164\n", out());
        assertSentAll();
    }

    @Test
    void addText(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "hello world\n");
        assertEquals(0, run("02-add-text-no-refs", InputStream.nullInputStream(), "add-text", "hello.txt", f.toString()));
        assertEquals("/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt\n", out());
        assertSentAll();
    }

    @Test
    void validAndDaemonErrorExitCode() throws Exception {
        assertEquals(1, run("15-error-not-in-store", InputStream.nullInputStream(), "valid", "/tmp/not-in-store"));
        assertEquals("error: path `/tmp/not-in-store' is not in the store\n", stderr.toString(StandardCharsets.UTF_8));
        assertSentPrefix();
    }

    @Test
    void info() throws Exception {
        assertEquals(0, run("05-query-path-info", InputStream.nullInputStream(),
                "info", "/gnu/store/w53w0kgdj7w5da4aqan9ra5nn938qilb-with-ref.txt"));
        assertTrue(out().contains("nar-size: 176\n"), out());
        assertTrue(out().contains("reference: /gnu/store/fgmac8yrq6rsczpr3mqb5y8068l5b0s8-dep.txt\n"));
        assertTrue(out().contains("registration-time: 1795354639\n"));
        assertSentAll();
    }

    @Test
    void hashPart() throws Exception {
        assertEquals(0, run("09-hash-part-to-path", InputStream.nullInputStream(), "hash-part", "3qfa38x5ns7r5wn2mjnd2vnrsj1wircv"));
        assertEquals("/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt\n", out());
        assertSentPrefix();
    }

    @Test
    void addFlatAndRecursive(@TempDir Path dir) throws Exception {
        Path data = Files.writeString(dir.resolve("data.txt"), "flat file contents\n");
        assertEquals(0, run("07-add-to-store-flat", InputStream.nullInputStream(), "add", data.toString(), "--flat"));
        assertEquals("/gnu/store/gljq0w66x6y9mncwvdkf56jyznnaad97-data.txt\n", out());
        assertSentAll();
    }

    @Test
    void exportWritesTheBundleToStdout() throws Exception {
        assertEquals(0, run("11-export-paths", InputStream.nullInputStream(), "export",
                "/gnu/store/0xdw6qzwyxqxnkwaxi1inffralzjpijk-export-me.txt"));
        assertEquals(1000, stdout.size());
        assertTrue(stderr.toString(StandardCharsets.UTF_8).contains("exporting path"));
        assertSentAll();
    }

    /** Runs against a peer whose replies follow a plain handshake. */
    private int runWith(loomd.protocol.client.ClientRequestVectorsTest.Reply replies, InputStream stdin, String... args)
            throws IOException {
        byte[] handshake = HexFormat.of().parseHex("6f697864000000006401000000000000" + "73746c6100000000");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(handshake);
        all.writeBytes(loomd.protocol.client.ClientRequestVectorsTest.wire(replies));
        ByteArrayInputStream daemon = new ByteArrayInputStream(all.toByteArray());
        Main main = new Main(Map.of(), stdin, new PrintStream(stdout, true), new PrintStream(stderr, true),
                (address, options) -> StoreClient.open(daemon, sent, null, options));
        return main.run(args);
    }

    @Test
    void rootsAllAndImport() throws Exception {
        String p = "/gnu/store/0xdw6qzwyxqxnkwaxi1inffralzjpijk-export-me.txt";
        assertEquals(0, runWith(w -> {
            w.writeU64(loomd.protocol.wire.StderrCode.LAST);
            w.writeU64(1);
            w.writeString("/var/guix/gcroots/x");
            w.writeString(p);
        }, InputStream.nullInputStream(), "roots"));
        assertEquals("/var/guix/gcroots/x " + p + "\n", out());
        stdout.reset();
        assertEquals(0, runWith(w -> {
            w.writeU64(loomd.protocol.wire.StderrCode.LAST);
            w.writeStrings(java.util.List.of(p, p + "2"));
        }, InputStream.nullInputStream(), "all"));
        assertEquals(p + "\n" + p + "2\n", out());
        stdout.reset();
        byte[] bundle = loomd.protocol.client.TranscriptBundles.importBundle();
        sent.reset();
        assertEquals(0, runWith(w -> {
            w.writeU64(loomd.protocol.wire.StderrCode.READ);
            w.writeU64(32768);
            w.writeU64(loomd.protocol.wire.StderrCode.LAST);
            w.writeStrings(java.util.List.of(p));
        }, new ByteArrayInputStream(bundle), "import"));
        assertEquals(p + "\n", out());
        byte[] s = sent.toByteArray();
        // After the handshake: op 27, then the whole bundle as one bytes frame.
        assertEquals("1b00000000000000e803000000000000", HexFormat.of().formatHex(Arrays.copyOfRange(s, 32, 48)));
        assertArrayEquals(bundle, Arrays.copyOfRange(s, 48, 48 + 1000));
    }

    @Test
    void socketOptionAndUsageErrors() throws Exception {
        assertEquals(2, run("01-handshake", InputStream.nullInputStream()));
        assertEquals(2, run("01-handshake", InputStream.nullInputStream(), "--socket"));
        assertEquals(2, run("01-handshake", InputStream.nullInputStream(), "--socket", "/x", "frobnicate"));
        assertEquals(2, run("01-handshake", InputStream.nullInputStream(), "valid"));
    }

    @Test
    void connectionFailureIsAnError() {
        Main main = new Main(Map.of("GUIX_DAEMON_SOCKET", "/nonexistent/socket"), InputStream.nullInputStream(),
                new PrintStream(stdout), new PrintStream(stderr, true), StoreClient::connect);
        assertEquals(1, main.run("ping"));
        assertTrue(stderr.toString(StandardCharsets.UTF_8).startsWith("error: "));
    }

    @Test
    void helpAndUnknownCommandsNeedNoDaemon() {
        Main main = new Main(Map.of("GUIX_DAEMON_SOCKET", "/nonexistent/socket"), InputStream.nullInputStream(),
                new PrintStream(stdout, true), new PrintStream(stderr, true), (address, options) -> {
                    throw new AssertionError("help must not connect");
                });
        assertEquals(0, main.run("--help"));
        assertTrue(out().startsWith("usage: loomd-store"), out());
        assertTrue(out().contains("hash-part HASH"), out());
        assertEquals(2, main.run("frobnicate"));
        assertTrue(stderr.toString(StandardCharsets.UTF_8).contains("unknown command `frobnicate'"));
    }
}
