package loomd.test.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.StoreClient;
import loomd.protocol.client.Transcript;
import loomd.test.build.Derivations;
import loomd.test.support.DaemonFixture;
import loomd.test.support.RawClient;
import loomd.test.support.TestNar;
import loomd.testkit.Stopwatch;

/**
 * Transcripts 26a to 27b (collect-garbage, verify-store, optimise-store) replayed on one daemon in
 * file order, as they were captured; the store each needs is made over the fixture's connection
 * ({@code direct}, whose temp roots keep what it adds alive) or over throwaway connections (what
 * must be garbage). The recording's store held what the build scenarios 17-25 left; here it holds
 * the part of that state the scenarios can see: busybox (rooted), the unrooted
 * {@code nondeterministic.drv} of 23 and the four stale {@code .lock} files of the failed builds.
 * 26b, 26c, 27a and 27b are compared byte for byte. 26a's dead list and 26d's order of invalid
 * entries depend on the store (README): there the expected stream is rebuilt from the recorded
 * frames with this store's list (26a) or this directory's {@code readdir} order (26d), and the
 * rebuilding itself is checked to give the recorded bytes from the recorded list and order.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class GcTranscriptReplayTest {
    static final long NEXT = 0x6f6c6d67L;
    static final long LAST = 0x616c7473L;
    static final Duration SILENCE = Stopwatch.PATIENCE;
    static final String S = "/gnu/store";
    static final List<String> LOCKS = List.of(
            S + "/9w2ly75qxfddd3bqxnyh02q6j8di2c7s-build-failing.lock",
            S + "/66csgkgicsy9rk3zq2as7p9nri3qxnsf-fixed-output.lock",
            S + "/vd4dm5dxkqpnafy1p11rrvqa3nbn7pgw-nondeterministic.lock",
            S + "/l78rnissf063gjl2sla0nh2mkrpa6ird-silent.lock");
    static final String NONDET_DRV = S + "/gh6lgvibj0l750ivfzwz8s4g2546n4kw-nondeterministic.drv";

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture();

    @TempDir
    static Path tmp;

    /** Busybox rooted by {@code direct}, 23's derivation unrooted, the stale lock files of 18, 20, 23, 24. */
    static void storeAfterTheBuilds() throws Exception {
        if (Files.exists(physical(NONDET_DRV))) return;
        new Derivations(daemon.process(), daemon.client()).addBusybox(tmp);
        try (StoreClient throwaway = daemon.process().client()) {
            Derivations d = new Derivations(daemon.process(), throwaway);
            assertEquals(NONDET_DRV, d.add(d.make("nondeterministic",
                    "echo writing a random number; echo $RANDOM$RANDOM$RANDOM > $out")));
        }
        for (String lock : LOCKS) Files.createFile(physical(lock));
    }

    @Test
    void t26aDeadPaths() throws Exception {
        storeAfterTheBuilds();
        Transcript t = transcript("26a-gc-dead-paths.txt");
        Frames recorded = Frames.of(lastAnswer(t));
        assertEquals(hex(lastAnswer(t)), hex(recorded.rebuilt(recorded.reply())), "the rebuilding is exact");
        TreeSet<String> dead = new TreeSet<>(LOCKS);
        dead.add(NONDET_DRV);
        replay(t, recorded.rebuilt(Frames.pathsReply(new ArrayList<>(dead), 0)));
    }

    @Test
    void t26bDeleteSpecific() throws Exception {
        storeAfterTheBuilds();
        String victim;
        try (StoreClient throwaway = daemon.process().client()) {
            victim = throwaway.addTextToStore("gc-victim.txt", "delete me\n", List.of());
        }
        Transcript t = transcript("26b-gc-delete-specific.txt");
        replay(t, null);
        assertFalse(Files.exists(physical(victim), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void t26cDeleteLive() throws Exception {
        storeAfterTheBuilds();
        String live = daemon.client().addTextToStore("live.txt", "still alive\n", List.of());
        replay(transcript("26c-gc-delete-live.txt"), null);
        assertTrue(Files.exists(physical(live)));
    }

    @Test
    void t26dDeleteDeadMinFreed() throws Exception {
        storeAfterTheBuilds();
        Transcript t = transcript("26d-gc-delete-dead-min-freed.txt");
        byte[] answer = lastAnswer(t);
        Frames recorded = Frames.of(answer);
        assertEquals(hex(answer), hex(recorded.rebuilt(recorded.reply())), "the rebuilding is exact");
        List<String> order = readdirOrder(LOCKS);
        replay(t, recorded.withLines(lockLinesIn(recorded.lines(), order)).rebuilt(recorded.reply()));
        for (String p : LOCKS) assertFalse(Files.exists(physical(p)), p);
        assertFalse(Files.exists(physical(NONDET_DRV)));
        assertTrue(daemon.client().isValidPath(Derivations.BUSYBOX), "rooted by direct");
    }

    @Test
    void t27aVerifyCheckContents() throws Exception {
        String victim = daemon.client().addTextToStore("corrupt.txt", "original contents\n", List.of());
        Path file = physical(victim);
        Files.setAttribute(file, "unix:mode", 0644);
        Files.writeString(file, "CORRUPTED contents\n");
        Files.setAttribute(file, "unix:mode", 0444);
        replay(transcript("27a-verify-store-check-contents.txt"), null);
    }

    @Test
    void t27bOptimiseStore() throws Exception {
        byte[] big = new byte[10000];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31 + 7);
        String a = addDup(daemon.client(), "dup-a", big);
        String b = addDup(daemon.client(), "dup-b", big);
        Path bBig = physical(b).resolve("big.bin");
        assertEquals(3, nlink(bBig), "deduplicated when added: a's file, b's file and the .links entry");
        assertEquals(nlink(physical(a).resolve("big.bin")), 3);
        breakLink(bBig);
        assertEquals(1, nlink(bBig));
        replay(transcript("27b-optimise-store.txt"), null);
        assertEquals(3, nlink(bBig), "linked again");
        assertEquals(0555, (Integer) Files.getAttribute(bBig.getParent(), "unix:mode") & 07777);
        assertEquals(1000, Files.getLastModifiedTime(bBig.getParent(), LinkOption.NOFOLLOW_LINKS).toMillis(),
                "the directory is canonical again");
        replay(transcript("27b-optimise-store.txt"), optimiseSummary("0.00 MiB freed by hard-linking 0 files"));
    }

    /** 27b's answer with another summary line: optimising twice links nothing the second time. */
    static byte[] optimiseSummary(String line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Frames.u64(out, NEXT);
        Frames.str(out, line + "\n");
        Frames.u64(out, LAST);
        Frames.u64(out, 1);
        return out.toByteArray();
    }

    static String addDup(StoreClient c, String name, byte[] big) throws Exception {
        byte[] nar = TestNar.of(new TestNar.Dir(Map.of(
                "big.bin", new TestNar.File(big, false),
                "small.txt", new TestNar.File((name + "\n").getBytes(StandardCharsets.UTF_8), false))));
        return c.addToStore(name, true, "sha256", new java.io.ByteArrayInputStream(nar));
    }

    /** As the recording did (as root): copy and rename, so the file has its own inode again. */
    static void breakLink(Path file) throws Exception {
        Path dir = file.getParent();
        Files.setAttribute(dir, "unix:mode", 0755);
        Path copy = dir.resolve("big.bin.tmp");
        Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
        Files.move(copy, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.setAttribute(dir, "unix:mode", 0555);
    }

    static int nlink(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
    }

    static Path physical(String storePath) {
        return daemon.process().physicalStoreDir().resolve(storePath.substring(S.length() + 1));
    }

    /** {@code paths} in the order {@code readdir} gives them here. */
    static List<String> readdirOrder(List<String> paths) throws Exception {
        List<String> order = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(daemon.process().physicalStoreDir())) {
            for (Path p : ds) {
                String logical = S + "/" + p.getFileName();
                if (paths.contains(logical)) order.add(logical);
            }
        }
        return order;
    }

    /** The recorded lines, with the lines deleting the lock files in {@code order}. */
    static List<String> lockLinesIn(List<String> lines, List<String> order) {
        List<String> out = new ArrayList<>();
        int next = 0;
        for (String line : lines) {
            boolean lock = LOCKS.stream().anyMatch(l -> line.equals("[0%] deleting '" + l + "'\n"));
            out.add(lock ? "[0%] deleting '" + order.get(next++) + "'\n" : line);
        }
        assertEquals(LOCKS.size(), next);
        return out;
    }

    static Transcript transcript(String file) throws Exception {
        return Transcript.parse(Path.of(System.getProperty("loomd.shared"), "spec", "transcripts", file));
    }

    /** The daemon's bytes after the client's last turn before its end: the operation's answer. */
    static byte[] lastAnswer(Transcript t) {
        return answers(t).get(opTurn(t));
    }

    /** The turn of the operation: the last one, or the one before the closing valid-path? (26b, 26c). */
    static int opTurn(Transcript t) {
        return answers(t).size() - 1 - (t.name().startsWith("26b") || t.name().startsWith("26c") ? 1 : 0);
    }

    /** The daemon's bytes of each client turn, in order. */
    static List<byte[]> answers(Transcript t) {
        List<byte[]> out = new ArrayList<>();
        List<Transcript.Chunk> chunks = t.chunks();
        for (int i = 0; i < chunks.size(); ) {
            while (i < chunks.size() && chunks.get(i).direction() == Transcript.Direction.CLIENT_TO_DAEMON) i++;
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            while (i < chunks.size() && chunks.get(i).direction() == Transcript.Direction.DAEMON_TO_CLIENT) {
                answer.writeBytes(chunks.get(i++).bytes());
            }
            out.add(answer.toByteArray());
        }
        return out;
    }

    /**
     * Sends the client's turns one by one, each after the daemon's whole answer; every answer must
     * equal the recorded one, except that the last answer of the collect-garbage, verify or
     * optimise turn may be given ({@code opAnswer}) when the store decides it.
     */
    static void replay(Transcript t, byte[] opAnswer) throws Exception {
        List<byte[]> want = answers(t);
        int op = opTurn(t);
        try (SocketChannel ch = daemon.process().connectUnix()) {
            List<Transcript.Chunk> chunks = t.chunks();
            int turn = 0;
            for (int i = 0; i < chunks.size(); turn++) {
                ByteArrayOutputStream client = new ByteArrayOutputStream();
                while (i < chunks.size() && chunks.get(i).direction() == Transcript.Direction.CLIENT_TO_DAEMON) {
                    client.writeBytes(chunks.get(i++).bytes());
                }
                while (i < chunks.size() && chunks.get(i).direction() == Transcript.Direction.DAEMON_TO_CLIENT) i++;
                ch.write(ByteBuffer.wrap(client.toByteArray()));
                byte[] expected = turn == op && opAnswer != null ? opAnswer : want.get(turn);
                byte[] got = read(ch, expected.length);
                assertEquals(hex(expected), hex(got), t.name() + " turn " + turn + "\n" + text(got)
                        + "\ndaemon log:\n" + daemon.process().log());
            }
            ch.shutdownOutput();
            assertEquals(-1, RawClient.readWithin(ch, ByteBuffer.allocate(64), SILENCE), "no more bytes");
        }
    }

    static byte[] read(SocketChannel ch, int length) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (buf.size() < length) {
            b.clear();
            if (RawClient.readWithin(ch, b, SILENCE) <= 0) break;
            buf.write(b.array(), 0, b.position());
        }
        return buf.toByteArray();
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1).replaceAll("[\\x00-\\x09\\x0b-\\x1f]", ".");
    }

    /** An answer as its STDERR_NEXT lines, then STDERR_LAST and the reply's bytes. */
    record Frames(List<String> lines, byte[] reply) {
        static Frames of(byte[] answer) {
            ByteBuffer b = ByteBuffer.wrap(answer).order(ByteOrder.LITTLE_ENDIAN);
            List<String> lines = new ArrayList<>();
            while (b.getLong() == NEXT) {
                int len = (int) b.getLong();
                byte[] s = new byte[len];
                b.get(s);
                b.position(b.position() + (8 - len % 8) % 8);
                lines.add(new String(s, StandardCharsets.UTF_8));
            }
            byte[] reply = new byte[b.remaining()];
            b.get(reply);
            return new Frames(lines, reply);
        }

        Frames withLines(List<String> other) {
            return new Frames(other, reply);
        }

        byte[] rebuilt(byte[] newReply) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (String line : lines) {
                u64(out, NEXT);
                str(out, line);
            }
            u64(out, LAST);
            out.writeBytes(newReply);
            return out.toByteArray();
        }

        /** collect-garbage's reply: the paths, the bytes freed, and the obsolete u64 0. */
        static byte[] pathsReply(List<String> paths, long freed) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            u64(out, paths.size());
            for (String p : paths) str(out, p);
            u64(out, freed);
            u64(out, 0);
            return out.toByteArray();
        }

        static void u64(ByteArrayOutputStream out, long v) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        static void str(ByteArrayOutputStream out, String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u64(out, bytes.length);
            out.writeBytes(bytes);
            out.writeBytes(new byte[(8 - bytes.length % 8) % 8]);
        }
    }
}
