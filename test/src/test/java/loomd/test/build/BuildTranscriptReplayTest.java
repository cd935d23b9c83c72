package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.Transcript;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.test.support.DaemonFixture;
import loomd.test.support.RawClient;
import loomd.testkit.Stopwatch;

/**
 * Transcripts 17 to 24 replayed byte for byte: the recorded client stream is sent as is and
 * the daemon's stream compared with the recorded one after masking what the README says varies (the
 * builder pid, the log directory, how builder output was split into {@code @ build-log} frames).
 * Each derivation is first added over the fixture's connection and must be the recorded {@code .drv}
 * file: with any other text the daemon rightly answers "cannot build missing derivation".
 */

@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.MethodName.class) // 22 checks what 17 built
class BuildTranscriptReplayTest {
    static final long NEXT = 0x6f6c6d67L;
    static final long ERROR = 0x63787470L;
    /** How long a missing answer is waited for; a passing replay never waits it out. */
    static final java.time.Duration SILENCE = Stopwatch.PATIENCE;

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> b.env("GUIX_LOG_DIRECTORY", b.root().resolve("log").toString()));

    @TempDir
    Path tmp;

    Derivations setUp() throws Exception {
        Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "chroot builds need root here");
        Derivations drvs = new Derivations(daemon.process(), daemon.client());
        drvs.addBusybox(tmp);
        return drvs;
    }

    static final String SIMPLE = "echo out-line-1; echo err-line-1 >&2; echo out-line-2; echo err-line-2 >&2; echo built > $out";

    @Test
    void t17BuildSimple() throws Exception {
        Derivations d = setUp();
        replay("17-build-simple.txt", d, d.make("build-simple", SIMPLE));
    }

    @Test
    void t22CheckDeterministic() throws Exception {
        Derivations d = setUp();
        replayBuilt("22-build-check-deterministic.txt", d, d.make("build-simple", SIMPLE));
    }

    @Test
    void t23CheckNondeterministic() throws Exception {
        Derivations d = setUp();
        replayBuilt("23-build-check-nondeterministic.txt", d, d.make("nondeterministic",
                "echo writing a random number; echo $RANDOM$RANDOM$RANDOM > $out"));
    }

    @Test
    void t18BuildFailing() throws Exception {
        Derivations d = setUp();
        replay("18-build-failing.txt", d, d.make("build-failing", "echo about to fail; echo failing now >&2; exit 1"));
    }

    @Test
    void t19FixedOutput() throws Exception {
        replayFixedOutput("19-build-fixed-output.txt", "fixed output contents\n");
    }

    @Test
    void t20FixedOutputMismatch() throws Exception {
        replayFixedOutput("20-build-fixed-output-mismatch.txt", "some other contents\n");
    }

    @Test
    void t21TwoOutputs() throws Exception {
        Derivations d = setUp();
        replay("21-build-two-outputs.txt", d, d.make("two-outputs",
                "echo building both; mkdir $lib; echo library > $lib/lib.txt; echo main > $out",
                List.of("out", "lib"), Map.of(), Map.of(), null));
    }

    @Test
    void t24MaxSilentTime() throws Exception {
        Derivations d = setUp();
        replay("24-build-max-silent-time.txt", d, d.make("silent", "echo going quiet; sleep 5; echo never > $out"));
    }

    /** The builder of 19 and 20 writes "fixed output contents\n"; the declared hash is that of {@code declared}. */
    void replayFixedOutput(String file, String declared) throws Exception {
        Derivations d = setUp();
        Hash h = Hash.of(HashAlgorithm.SHA256, declared.getBytes(StandardCharsets.UTF_8));
        replay(file, d, d.make("fixed-output", "echo fetching; printf 'fixed output contents\\n' > $out", List.of("out"),
                Map.of(), Map.of(), new DerivationOutput("", "sha256", h.toBase16())));
    }

    /** Adds {@code drv} over the fixture's connection ({@code direct}), which must give the recorded file, then replays. */
    void replay(String file, Derivations d, Derivation drv) throws Exception {
        assertEquals(recordedDrv(file), d.add(drv), "the derivation " + file + " builds");
        replay(file);
    }

    /** As the recording did: the derivation is built over the fixture's connection first, then replayed. */
    void replayBuilt(String file, Derivations d, Derivation drv) throws Exception {
        String path = d.add(drv);
        assertEquals(recordedDrv(file), path, "the derivation " + file + " checks");
        org.junit.jupiter.api.Assertions.assertTrue(daemon.client().buildPaths(List.of(path),
                loomd.protocol.client.BuildMode.NORMAL));
        replay(file);
    }

    static Transcript transcript(String file) throws Exception {
        return Transcript.parse(Path.of(System.getProperty("loomd.shared"), "spec", "transcripts", file));
    }

    /** The {@code .drv} the recorded client builds: the derivation made here must be the same file. */
    static String recordedDrv(String file) throws Exception {
        String client = new String(transcript(file).clientBytes(), StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("/gnu/store/[0-9a-z]{32}-[^!\\x00]*?\\.drv").matcher(client);
        org.junit.jupiter.api.Assertions.assertTrue(m.find(), file);
        return m.group();
    }

    /**
     * Sends each run of client chunks only after the daemon answered the previous one (a client that
     * talks during an operation's work phase counts as gone), reading until the answer is complete.
     */
    void replay(String file) throws Exception {
        Transcript t = transcript(file);
        String logDir = daemon.process().root().resolve("log").toString();
        List<String> expected = new ArrayList<>();
        List<String> got = new ArrayList<>();
        try (SocketChannel ch = daemon.process().connectUnix()) {
            List<Transcript.Chunk> chunks = t.chunks();
            for (int i = 0; i < chunks.size(); ) {
                ByteArrayOutputStream client = new ByteArrayOutputStream();
                ByteArrayOutputStream answer = new ByteArrayOutputStream();
                for (; i < chunks.size() && chunks.get(i).direction() == Transcript.Direction.CLIENT_TO_DAEMON; i++) {
                    client.writeBytes(chunks.get(i).bytes());
                }
                for (; i < chunks.size() && chunks.get(i).direction() == Transcript.Direction.DAEMON_TO_CLIENT; i++) {
                    answer.writeBytes(chunks.get(i).bytes());
                }
                ch.write(ByteBuffer.wrap(client.toByteArray()));
                List<String> want = normalise(answer.toByteArray(), "/gnu/log");
                expected.addAll(want);
                List<String> reply = readAnswer(ch, want, logDir);
                got.addAll(reply);
                if (!reply.equals(want)) {
                    break;
                }
            }
            if (expected.equals(got) && t.clientEof()) {
                ch.shutdownOutput();
                if (t.daemonEof()) {
                    assertEquals(-1, RawClient.readWithin(ch, ByteBuffer.allocate(64), SILENCE),
                            file + ": the daemon closes without more bytes");
                }
            }
        }
        assertEquals(String.join("\n", expected), String.join("\n", got), file + "\ndaemon log:\n" + daemon.process().log());
    }

    /**
     * Reads until the answer, normalised, equals {@code want}, or until the daemon stays silent for
     * {@link #SILENCE} or closes (then what came is returned, for the comparison to show).
     */
    static List<String> readAnswer(SocketChannel ch, List<String> want, String logDir) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (true) {
            List<String> tokens = complete(buf.toByteArray(), logDir);
            if (want.equals(tokens)) {
                return tokens;
            }
            b.clear();
            if (RawClient.readWithin(ch, b, SILENCE) <= 0) {
                return normalise(buf.toByteArray(), logDir);
            }
            buf.write(b.array(), 0, b.position());
        }
    }

    /** The tokens of {@code stream}, or none while a frame is still arriving. */
    static List<String> complete(byte[] stream, String logDir) {
        try {
            return stream.length % 8 == 0 ? normalise(stream, logDir) : List.of();
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException incomplete) {
            return List.of();
        }
    }

    /** The stream as lines: integers, strings, builder output joined; pids and the log directory masked. */
    static List<String> normalise(byte[] stream, String logDir) {
        ByteBuffer b = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        while (b.remaining() >= 8) {
            long v = b.getLong();
            if (v != NEXT && v != ERROR) {
                flush(out, log);
                out.add("u64 " + v);
                continue;
            }
            String s = string(b);
            if (v == ERROR) {
                flush(out, log);
                out.add("ERROR " + s + " " + b.getLong());
            } else if (s.startsWith("@ build-log ")) {
                log.append(s, s.indexOf('\n') + 1, s.length());
            } else {
                flush(out, log);
                out.add("NEXT " + s.replace(logDir + "/", "LOG/").replaceAll("(@ build-started .*) \\d+\n$", "$1 PID\n")
                        .replaceAll("^killing process \\d+", "killing process PID"));
            }
        }
        flush(out, log);
        return out;
    }

    private static void flush(List<String> out, StringBuilder log) {
        if (!log.isEmpty()) {
            out.add("BUILD-LOG " + log);
            log.setLength(0);
        }
    }

    private static String string(ByteBuffer b) {
        int len = (int) b.getLong();
        byte[] s = new byte[len];
        b.get(s);
        b.position(b.position() + ((8 - len % 8) % 8));
        return new String(s, StandardCharsets.ISO_8859_1);
    }

}
