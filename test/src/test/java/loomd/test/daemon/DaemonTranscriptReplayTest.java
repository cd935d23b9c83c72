package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.StoreClient;
import loomd.protocol.client.Transcript;
import loomd.test.support.DaemonFixture;
import loomd.test.support.DaemonProcess;
import loomd.test.support.RawClient;
import loomd.testkit.Stopwatch;

/**
 * Replays every captured transcript (spec/transcripts/) against the real daemon with
 * {@code NIX_STORE_DIR=/gnu/store} under a temp store root: the client's bytes are sent turn by
 * turn, and the daemon's bytes must equal the recorded ones, except for the fields README.md
 * lists as varying, masked here: the registration time in 05. Scenarios run in file order on one
 * daemon, as they were captured; the store state each needs is set up over a second connection.
 *
 * <p>Signing (11) and signature checking (12) go through {@code guix authenticate}, which does
 * not exist here: a stand-in {@code GUIX} program answers exactly the one signing request of the
 * capture (the recorded export hash) with the recorded signature, and verifies only that
 * signature; anything else is refused. The daemon's part (what it hashes, how it frames the item,
 * what it does with the answers) is thus checked byte for byte, not the RSA maths. Scenario 12
 * runs on a second, fresh daemon: upstream deleted the exported path with the garbage collector
 * first, which this daemon does not have yet. The {@code /tmp/guix-transcript-root} link of 13
 * is renamed to a unique name of the same length.
 */
class DaemonTranscriptReplayTest {
    static final String DEP = "/gnu/store/fgmac8yrq6rsczpr3mqb5y8068l5b0s8-dep.txt";
    static final String WITH_REF = "/gnu/store/w53w0kgdj7w5da4aqan9ra5nn938qilb-with-ref.txt";
    static final String ROOT_LINK = "/tmp/guix-transcript-root";
    /**
     * How long a missing reply is waited for. A passing replay never waits it out (it stops once the
     * recorded bytes are in); on a loaded machine a scenario that starts a program (the fake guix
     * authenticate of 11) can take seconds, so this is generous.
     */
    static final Duration SILENCE = Stopwatch.PATIENCE;

    /** The daemon most scenarios share; its fake GUIX program is written before it starts. */
    @RegisterExtension
    static final DaemonFixture daemon =
            new DaemonFixture(b -> withFakeGuix(b, writeFakeGuix(b.root().resolve("fake-guix"))));
    /** Scenario 12's fresh daemon. */
    @TempDir static Path root2;
    static final String link = "/tmp/guix-transcript-" + randomAlnum(4);

    /** A daemon whose {@code guix authenticate} is {@code fakeGuix}, with the signing key it expects to find. */
    static DaemonProcess.Builder withFakeGuix(DaemonProcess.Builder builder, Path fakeGuix) throws IOException {
        Path conf = Files.createDirectories(builder.root().resolve("etc/guix"));
        Path key = conf.resolve("signing-key.sec");
        Files.writeString(key, "(stand-in key: the fake guix authenticate never reads it)\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return builder.env("GUIX", fakeGuix.toString());
    }

    @AfterAll
    static void removeLink() throws IOException {
        Files.deleteIfExists(Path.of(link));
    }

    @TestFactory
    Stream<DynamicTest> replay() throws IOException {
        Path dir = Path.of(System.getProperty("loomd.shared"), "spec", "transcripts");
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            // 01-16 are the store core; 17-28 (builds, GC, substitutes) replay with those issues.
            files = list.filter(p -> p.getFileName().toString().matches("(0\\d|1[0-6])-.*\\.txt")).sorted().toList();
        }
        assertEquals(16, files.size(), "core transcripts found in " + dir);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            Transcript t = Transcript.parse(f);
            if (t.name().startsWith("12-")) {
                Path fakeGuix = daemon.process().root().resolve("fake-guix");
                try (DaemonProcess fresh = withFakeGuix(DaemonProcess.builder(root2), fakeGuix).start()) {
                    replayOn(fresh, t);
                }
            } else {
                setUp(daemon.process(), t.name());
                replayOn(daemon.process(), t);
            }
        }));
    }

    /** The state each scenario expects, made over a second connection ({@code direct}). */
    static void setUp(DaemonProcess d, String name) throws IOException {
        try (StoreClient direct = d.client()) {
            switch (name.substring(0, 2)) {
                case "03", "05", "06", "13" -> {
                    direct.addTextToStore("hello.txt", "hello world\n", List.of());
                    String dep = direct.addTextToStore("dep.txt", "dependency\n", List.of());
                    assertEquals(DEP, dep);
                    if (!name.startsWith("03")) {
                        assertEquals(WITH_REF, direct.addTextToStore("with-ref.txt", "uses " + dep + "\n", List.of(dep)));
                    }
                    if (name.startsWith("13")) {
                        Files.deleteIfExists(Path.of(link));
                        Files.createSymbolicLink(Path.of(link), Path.of(WITH_REF));
                    }
                }
                case "04", "09", "15" -> direct.addTextToStore("hello.txt", "hello world\n", List.of());
                case "10" -> direct.addTextToStore("builder.sh", "echo hi > $out\n", List.of());
                case "11" -> direct.addTextToStore("export-me.txt", "exported contents\n", List.of());
                default -> { }
            }
        }
    }

    record Segment(boolean fromClient, byte[] bytes) { }

    static void replayOn(DaemonProcess d, Transcript t) throws IOException {
        List<Segment> segments = segments(t);
        try (SocketChannel ch = d.connectUnix()) {
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                if (s.fromClient()) {
                    ch.write(ByteBuffer.wrap(s.bytes()));
                    continue;
                }
                byte[] got = read(ch, s.bytes().length);
                byte[] expected = s.bytes().clone();
                mask(t.name(), i == segments.size() - 1, expected, got);
                if (!java.util.Arrays.equals(expected, got)) {
                    fail(t.name() + ": daemon bytes differ in turn " + i + "\nexpected " + HexFormat.of().formatHex(expected)
                            + "\nactual   " + HexFormat.of().formatHex(got) + "\ndaemon log:\n" + d.log());
                }
            }
            if (t.clientEof()) {
                ch.shutdownOutput();
            }
            if (t.daemonEof()) {
                ByteBuffer extra = ByteBuffer.allocate(64);
                assertEquals(-1, RawClient.readWithin(ch, extra, SILENCE),
                        t.name() + ": daemon should close without more bytes");
            }
        }
    }

    /** Masks the fields README.md lists as varying, in both arrays (same offsets). */
    static void mask(String name, boolean last, byte[] expected, byte[] got) {
        if (name.startsWith("05-") && last && expected.length == got.length && expected.length >= 16) {
            // query-path-info reply: ... references, registrationTime (int), narSize (u64).
            for (int k = expected.length - 16; k < expected.length - 8; k++) {
                expected[k] = 0;
                got[k] = 0;
            }
        }
    }

    /** Consecutive chunks of one direction joined (chunk boundaries are not protocol). */
    static List<Segment> segments(Transcript t) {
        List<Segment> result = new ArrayList<>();
        for (Transcript.Chunk c : t.chunks()) {
            boolean client = c.direction() == Transcript.Direction.CLIENT_TO_DAEMON;
            byte[] bytes = replaceLink(c.bytes());
            if (!result.isEmpty() && result.getLast().fromClient() == client) {
                Segment prev = result.removeLast();
                byte[] joined = new byte[prev.bytes().length + bytes.length];
                System.arraycopy(prev.bytes(), 0, joined, 0, prev.bytes().length);
                System.arraycopy(bytes, 0, joined, prev.bytes().length, bytes.length);
                result.add(new Segment(client, joined));
            } else {
                result.add(new Segment(client, bytes));
            }
        }
        return result;
    }

    static byte[] replaceLink(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.ISO_8859_1);
        return s.replace(ROOT_LINK, link).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Reads {@code n} bytes, or fewer if the daemon stays silent for {@link #SILENCE}. */
    static byte[] read(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            int r = RawClient.readWithin(ch, buf, SILENCE);
            if (r <= 0) {
                break;
            }
        }
        return java.util.Arrays.copyOf(buf.array(), buf.position());
    }

    static String randomAlnum(int n) {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(chars.charAt(ThreadLocalRandom.current().nextInt(chars.length())));
        }
        return sb.toString();
    }

    /**
     * A stand-in for {@code guix authenticate}: it knows only the capture's export hash and
     * signature (taken from transcript 11), and refuses anything else.
     */
    static Path writeFakeGuix(Path file) throws IOException {
        Path t11 = Path.of(System.getProperty("loomd.shared"), "spec", "transcripts", "11-export-paths.txt");
        String daemonText = new String(Transcript.parse(t11).daemonBytes(), StandardCharsets.ISO_8859_1);
        int start = daemonText.indexOf("(signature \n");
        assertTrue(start > 8, "signature in transcript 11");
        long length = ByteBuffer.wrap(daemonText.substring(start - 8, start).getBytes(StandardCharsets.ISO_8859_1))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String signature = daemonText.substring(start, start + (int) length);
        Matcher m = Pattern.compile("\\(hash sha256 #([0-9A-F]+)#\\)").matcher(signature);
        assertTrue(m.find());
        String hash = m.group(1).toLowerCase();
        Files.writeString(file.resolveSibling("signature"), signature, StandardCharsets.ISO_8859_1);
        Files.writeString(file, """
                #!/usr/bin/env python3
                # Stand-in for `guix authenticate` (see DaemonTranscriptReplayTest).
                import sys, os
                sig = open(os.path.join(os.path.dirname(sys.argv[0]), "signature"), "rb").read()
                HASH = b"%s"
                inp = sys.stdin.buffer
                def until(stop):
                    b = b""
                    while True:
                        c = inp.read(1)
                        if not c: sys.exit(0)
                        if c == stop: return b
                        b += c
                def field():
                    n = int(until(b":"))
                    data = inp.read(n)
                    inp.read(1)
                    return data
                def reply(code, s):
                    sys.stdout.buffer.write(b"%%d %%d:" %% (code, len(s)) + s); sys.stdout.buffer.flush()
                if sys.argv[1:] != ["authenticate"]:
                    sys.exit("fake guix: only `authenticate' is known")
                while True:
                    cmd = until(b" ")
                    if cmd == b"sign":
                        key = field(); h = field()
                        if h.lower() == HASH: reply(0, sig)
                        else: reply(1, b"fake guix authenticate: refusing to sign " + h)
                    elif cmd == b"verify":
                        s = field()
                        if s == sig: reply(0, HASH)
                        else: reply(1, b"fake guix authenticate: unknown signature")
                    else:
                        reply(1, b"fake guix authenticate: unknown command " + cmd)
                """.formatted(hash));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
