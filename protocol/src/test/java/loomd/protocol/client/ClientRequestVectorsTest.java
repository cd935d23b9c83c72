package loomd.protocol.client;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import loomd.protocol.wire.StderrCode;
import loomd.protocol.wire.WireWriter;
import org.junit.jupiter.api.Test;

/** test-vectors.md §7: the handshake and requests the real Guix client sends, and its reply decoding. */
public class ClientRequestVectorsTest {
    private static final String HELLO_TXT = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";
    private static final String HANDSHAKE_REPLY = "6f697864000000006401000000000000" + "73746c6100000000";
    private static final String HANDSHAKE_REQUEST = "6378696e00000000" + "640100000000000000000000000000000100000000000000";

    /** Daemon replies written with the wire primitives. */
    public interface Reply {
        void write(WireWriter w) throws IOException;
    }

    public static byte[] wire(Reply r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireWriter w = new WireWriter(out);
        r.write(w);
        w.flush();
        return out.toByteArray();
    }

    record Session(StoreClient client, ByteArrayOutputStream sent) {
        String sentAfterHandshake() {
            return HexFormat.of().formatHex(sent.toByteArray()).substring(HANDSHAKE_REQUEST.length());
        }
    }

    static Session session(byte[] replies) throws IOException {
        byte[] all = concat(HexFormat.of().parseHex(HANDSHAKE_REPLY), replies);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        StoreClient c = StoreClient.open(new ByteArrayInputStream(all), sent, null, ClientOptions.DEFAULT.withLog(s -> { }));
        assertEquals(HANDSHAKE_REQUEST, HexFormat.of().formatHex(sent.toByteArray()));
        return new Session(c, sent);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static String hex(Reply r) throws IOException {
        return HexFormat.of().formatHex(wire(r));
    }

    @Test
    void capturedSessionOfSection7() throws Exception {
        byte[] replies = wire(w -> {
            w.writeU64(StderrCode.LAST);
            w.writeString(HELLO_TXT);
            w.writeU64(StderrCode.ERROR);
            w.writeString("path `/tmp/x' is not in the store");
            w.writeU64(1);
            w.writeU64(StderrCode.LAST);
            w.writeU64(1);
        });
        Session s = session(replies);
        assertEquals(HELLO_TXT, s.client().addTextToStore("hello.txt", "hello\n", List.of()));
        DaemonException e = assertThrows(DaemonException.class, () -> s.client().isValidPath("/tmp/x"));
        assertEquals("path `/tmp/x' is not in the store", e.getMessage());
        assertEquals(1, e.status());
        assertTrue(s.client().isValidPath(HELLO_TXT));
        String helloTxt = "0900000000000000" + "68656c6c6f2e747874" + "00000000000000";
        String expected = "0800000000000000" + helloTxt
                + "0600000000000000" + "68656c6c6f0a0000"
                + "0000000000000000"
                + "0100000000000000" + "0600000000000000" + "2f746d702f780000"
                + "0100000000000000" + "3500000000000000" + HexFormat.of().formatHex(HELLO_TXT.getBytes()) + "000000";
        assertEquals(expected, s.sentAfterHandshake());
    }

    @Test
    void addToStoreRequestOfSection71() throws Exception {
        byte[] nar = TestNar.of(TestNar.file("hello\n", false));
        assertEquals(120, nar.length);
        Session s = session(wire(w -> {
            w.writeU64(StderrCode.LAST);
            w.writeString("/gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt");
        }));
        assertEquals("/gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt",
                s.client().addToStore("hello.txt", true, "sha256", new ByteArrayInputStream(nar)));
        assertEquals("0700000000000000" + "0900000000000000" + "68656c6c6f2e747874" + "00000000000000"
                + "0100000000000000" + "0100000000000000" + "0600000000000000" + "7368613235360000"
                + HexFormat.of().formatHex(nar), s.sentAfterHandshake());
    }

    @Test
    void setOptionsOfSection72() throws Exception {
        Session s = session(wire(w -> w.writeU64(StderrCode.LAST)));
        BuildOptions o = BuildOptions.defaults().withKeepFailed(true).withKeepGoing(false).withFallback(true)
                .withVerbosity(2).withMaxBuildJobs(4).withTimeout(60).withMaxSilentTime(30).withBuildCores(2)
                .withRounds(2).withSubstituteUrls(List.of("https://a.example", "https://b.example"))
                .withPrintExtendedBuildTrace(true).withMultiplexedBuildOutput(true)
                .withUserName(Optional.of("alice")).withTerminalColumns(OptionalInt.of(80)).withLocale(Optional.of("C"));
        s.client().setOptions(o);
        String expected = hex(w -> {
            w.writeU64(19);
            for (long v : new long[] {1, 0, 1, 2, 1, 0, 0, 1, 1}) {
                w.writeU64(v);
            }
            w.writeU64(11);
            String[] pairs = {"print-extended-build-trace", "1", "multiplexed-build-output", "true",
                "build-timeout", "60", "build-max-silent-time", "30", "build-max-jobs", "4", "build-cores", "2",
                "substitute-urls", "https://a.example https://b.example", "build-repeat", "1", "user-name", "alice",
                "terminal-columns", "80", "locale", "C"};
            for (String p : pairs) {
                w.writeString(p);
            }
        });
        assertEquals(expected, s.sentAfterHandshake());
    }

    @Test
    void otherRequestsOfSection73() throws Exception {
        String drv = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";
        String dep = "/gnu/store/df2i31zzxnchy8lbbna9a8595zcavxva-dep.drv";
        String dead = "/gnu/store/00000000000000000000000000000000-dead";
        String p = "/gnu/store/nnv962p503wd3di297nmj7p16s9277xf-refs.txt";
        Session s = session(wire(w -> {
            w.writeU64(StderrCode.LAST); w.writeU64(1);
            w.writeU64(StderrCode.LAST); w.writeU64(1);
            w.writeU64(StderrCode.LAST); w.writeStrings(List.of(dead)); w.writeU64(4096); w.writeU64(0);
            w.writeU64(StderrCode.LAST); w.writeStrings(List.of()); w.writeU64(0); w.writeU64(0);
            w.writeU64(StderrCode.LAST); w.writeU64(0);
            w.writeU64(StderrCode.LAST); w.writeU64(1);
            w.writeU64(StderrCode.LAST); w.writeU64(1); w.writeString(p); w.writeString(""); w.writeStrings(List.of());
            w.writeU64(1234); w.writeU64(5678);
            w.writeU64(StderrCode.LAST); w.writeU64(1); w.writeString("/var/guix/gcroots/foo"); w.writeString(dead);
            w.writeU64(StderrCode.LAST); w.writeStrings(List.of("download", "git-download"));
        }));
        StoreClient c = s.client();
        assertTrue(c.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(c.buildPaths(List.of(dep + "!dev"), BuildMode.CHECK));
        assertEquals(new GcResult(List.of(dead), 4096), c.collectGarbage(1000000));
        assertEquals(new GcResult(List.of(), 0), c.deletePaths(List.of(p), StoreClient.NO_LIMIT));
        assertFalse(c.verifyStore(true, false));
        assertTrue(c.exportPath(p, false, new ByteArrayOutputStream()));
        assertEquals(List.of(new SubstitutablePathInfo(p, "", List.of(), 1234, 5678)),
                c.querySubstitutablePathInfos(List.of(p)));
        assertEquals(List.of(new GcRoot("/var/guix/gcroots/foo", dead)), c.findRoots());
        assertEquals(List.of("download", "git-download"), c.builtinBuilders());
        String expected = hex(w -> {
            w.writeU64(9); w.writeStrings(List.of(drv)); w.writeU64(0);
            w.writeU64(9); w.writeStrings(List.of(dep + "!dev")); w.writeU64(2);
            w.writeU64(20); w.writeU64(2); w.writeStrings(List.of()); w.writeU64(0); w.writeU64(1000000);
            w.writeU64(0); w.writeU64(0); w.writeU64(0);
            w.writeU64(20); w.writeU64(3); w.writeStrings(List.of(p)); w.writeU64(0); w.writeU64(-1);
            w.writeU64(0); w.writeU64(0); w.writeU64(0);
            w.writeU64(35); w.writeU64(1); w.writeU64(0);
            w.writeU64(16); w.writeString(p); w.writeU64(0);
            w.writeU64(30); w.writeStrings(List.of(p));
            w.writeU64(14);
            w.writeU64(80);
        });
        assertEquals(expected, s.sentAfterHandshake());
    }

    @Test
    void buildTracesPassThroughAndBuildFailureKeepsItsStatus() throws Exception {
        String drv = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";
        List<String> traces = List.of(
                "@ build-started " + drv + " - x86_64-linux /var/log/guix/drvs/xx/yy.drv.gz 4242\n",
                "@ build-log 4242 6\nhello\n",
                "@ build-succeeded " + drv + " -\n");
        byte[] replies = wire(w -> {
            for (String t : traces) {
                w.writeU64(StderrCode.NEXT);
                w.writeString(t);
            }
            w.writeU64(StderrCode.LAST);
            w.writeU64(1);
            w.writeU64(StderrCode.ERROR);
            w.writeString("build of `/gnu/store/x-fail.drv' failed");
            w.writeU64(100);
        });
        byte[] all = concat(HexFormat.of().parseHex(HANDSHAKE_REPLY), replies);
        List<String> log = new java.util.ArrayList<>();
        StoreClient c = StoreClient.open(new ByteArrayInputStream(all), new ByteArrayOutputStream(), null,
                ClientOptions.DEFAULT.withLog(log::add));
        assertTrue(c.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(traces, log);
        DaemonException e = assertThrows(DaemonException.class,
                () -> c.buildPaths(List.of("/gnu/store/x-fail.drv"), BuildMode.NORMAL));
        assertEquals(100, e.status());
        assertEquals("build of `/gnu/store/x-fail.drv' failed", e.getMessage());
    }

    @Test
    void errorWithoutStatusAtEndOfStreamDefaultsToOne() throws Exception {
        byte[] replies = wire(w -> {
            w.writeU64(StderrCode.ERROR);
            w.writeString("current store schema is version 8, but I only support 7");
        });
        byte[] all = concat(HexFormat.of().parseHex("6f697864000000006401000000000000"), replies);
        DaemonException e = assertThrows(DaemonException.class, () -> StoreClient.open(new ByteArrayInputStream(all),
                new ByteArrayOutputStream(), null, ClientOptions.DEFAULT.withLog(s -> { })));
        assertEquals(1, e.status());
    }

    @Test
    void wrongMagicOrMajorFailsTheHandshake() {
        for (String reply : List.of("1111111100000000" + "6401000000000000", "6f69786400000000" + "6402000000000000")) {
            assertThrows(HandshakeException.class, () -> StoreClient.open(
                    new ByteArrayInputStream(HexFormat.of().parseHex(reply)), new ByteArrayOutputStream(), null,
                    ClientOptions.DEFAULT));
        }
    }

    @Test
    void oldDaemonGetsOldFields() throws Exception {
        // A 0x10e daemon (minor 14): no mode in buildPaths; setOptions sends jobs, silent time and cores.
        byte[] all = concat(HexFormat.of().parseHex("6f69786400000000" + "0e01000000000000" + "73746c6100000000"),
                wire(w -> {
                    w.writeU64(StderrCode.LAST);
                    w.writeU64(1);
                    w.writeU64(StderrCode.LAST);
                }));
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        StoreClient c = StoreClient.open(new ByteArrayInputStream(all), sent, null, ClientOptions.DEFAULT);
        assertThrows(DaemonException.class, () -> c.buildPaths(List.of("/gnu/store/x.drv"), BuildMode.CHECK));
        assertTrue(c.buildPaths(List.of("/gnu/store/x.drv"), BuildMode.NORMAL));
        c.setOptions(BuildOptions.defaults().withBuildCores(3).withUserName(Optional.empty())
                .withTerminalColumns(OptionalInt.empty()).withLocale(Optional.empty()));
        assertEquals(List.of(), c.substituteUrls());
        assertEquals(List.of(), c.builtinBuilders());
        String expected = "6378696e00000000" + hex(w -> {
            w.writeU64(0x164); w.writeU64(0); w.writeU64(1);
            w.writeU64(9); w.writeStrings(List.of("/gnu/store/x.drv"));
            w.writeU64(19); w.writeU64(0); w.writeU64(0); w.writeU64(0); w.writeU64(0);
            w.writeU64(1); w.writeU64(3600);
            w.writeU64(1); w.writeU64(0); w.writeU64(0); w.writeU64(1);
            w.writeU64(3);
            w.writeU64(1);
            w.writeU64(2); w.writeString("print-extended-build-trace"); w.writeString("0");
            w.writeString("build-cores"); w.writeString("3");
        });
        assertEquals(expected, HexFormat.of().formatHex(sent.toByteArray()));
    }
}
