package loomd.test.stress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import loomd.test.support.DaemonProcess;
import loomd.test.support.TestNar;

/**
 * Frames from a generator that knows the protocol: each op's fields in order (protocol.md), then a
 * mutation now and then (a lying length, a count of 2^40 strings, a flipped byte, an unknown op, a
 * truncated NAR, a frame cut off and the connection closed). Frames are pipelined on one connection
 * while a drain reads whatever the daemon answers; when the daemon ends a session (as it must on a
 * malformed frame) the fuzzer opens another one and goes on.
 */
final class ProtocolFuzzer {
    enum Field { STR, STRS, U64, BOOL, NAR, PAIRS, IMPORT }

    /** Every op of 0x164 with its request fields; a few op numbers no daemon knows. */
    private static final List<OpShape> OPS = List.of(
            new OpShape(1, Field.STR), new OpShape(3, Field.STR), new OpShape(4, Field.STR),
            new OpShape(5, Field.STR), new OpShape(6, Field.STR),
            new OpShape(7, Field.STR, Field.BOOL, Field.BOOL, Field.STR, Field.NAR),
            new OpShape(8, Field.STR, Field.STR, Field.STRS), new OpShape(9, Field.STRS, Field.U64),
            new OpShape(10, Field.STR), new OpShape(11, Field.STR), new OpShape(12, Field.STR),
            new OpShape(13), new OpShape(14), new OpShape(16, Field.STR, Field.BOOL), new OpShape(18, Field.STR),
            new OpShape(19, Field.BOOL, Field.BOOL, Field.BOOL, Field.U64, Field.U64, Field.U64, Field.BOOL,
                    Field.U64, Field.U64, Field.BOOL, Field.U64, Field.BOOL, Field.PAIRS),
            new OpShape(20, Field.U64, Field.STRS, Field.BOOL, Field.U64, Field.U64, Field.U64, Field.U64),
            new OpShape(21, Field.STR), new OpShape(22, Field.STR), new OpShape(23), new OpShape(24),
            new OpShape(25, Field.STRS), new OpShape(26, Field.STR), new OpShape(27, Field.IMPORT),
            new OpShape(28, Field.STR), new OpShape(29, Field.STR), new OpShape(30, Field.STRS),
            new OpShape(31, Field.STRS), new OpShape(32, Field.STRS), new OpShape(33, Field.STR),
            new OpShape(34), new OpShape(35, Field.BOOL, Field.BOOL), new OpShape(80), new OpShape(81),
            new OpShape(0), new OpShape(2, Field.STR), new OpShape(15), new OpShape(17), new OpShape(99));

    record OpShape(int code, Field... fields) {}

    record Stats(long frames, long sessions) {}

    private final DaemonProcess daemon;
    private final Random random;
    private final String storeDir;

    ProtocolFuzzer(DaemonProcess daemon, long seed) {
        this.daemon = daemon;
        this.random = new Random(seed);
        this.storeDir = daemon.storeDir();
    }

    Stats run(long frames) throws Exception {
        long sent = 0;
        long sessions = 0;
        while (sent < frames) {
            sessions++;
            sent += session(frames - sent);
        }
        return new Stats(sent, sessions);
    }

    /** One connection: the handshake, then frames until the daemon hangs up or 200 were sent. */
    private long session(long budget) throws Exception {
        long sent = 0;
        try (SocketChannel ch = daemon.connectUnix()) {
            DaemonProcess.handshake(ch);
            Thread drain = Thread.ofVirtual().start(() -> drain(ch));
            try {
                for (; sent < Math.min(budget, 200); sent++) {
                    byte[] frame = frame();
                    boolean cut = random.nextInt(100) == 0;
                    ch.write(ByteBuffer.wrap(frame, 0, cut ? random.nextInt(frame.length + 1) : frame.length));
                    if (cut) {
                        sent++;
                        break;
                    }
                }
            } catch (IOException hungUp) {
                // The daemon ended the session: what it must do after a malformed frame.
            } finally {
                ch.shutdownOutput();
                drain.join(10_000);
            }
        } catch (IOException refused) {
            // A handshake refused or cut: count the try, open the next session.
        }
        return Math.max(sent, 1);
    }

    private static void drain(SocketChannel ch) {
        ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        try {
            while (ch.read(sink.clear()) >= 0) {
                // Nothing to check here: what matters is that the daemon survives and answers later.
            }
        } catch (IOException ignored) {
            // The connection is over either way.
        }
    }

    byte[] frame() {
        OpShape op = OPS.get(random.nextInt(OPS.size()));
        Out out = new Out();
        out.u64(op.code());
        for (Field f : op.fields()) field(out, f);
        byte[] bytes = out.bytes();
        if (random.nextInt(10) == 0 && bytes.length > 8) bytes[8 + random.nextInt(bytes.length - 8)] ^= (byte) (1 << random.nextInt(8));
        return bytes;
    }

    private void field(Out out, Field f) {
        boolean lie = random.nextInt(20) == 0;
        switch (f) {
            case STR -> {
                if (lie) out.u64(lyingLength());
                else out.str(string());
            }
            case STRS -> {
                int n = random.nextInt(4);
                out.u64(lie ? lyingLength() : n);
                for (int i = 0; i < n; i++) out.str(string());
            }
            case U64 -> out.u64(random.nextInt(3) == 0 ? random.nextLong() : random.nextInt(5));
            case BOOL -> out.u64(random.nextInt(10) == 0 ? 2 + random.nextInt(100) : random.nextInt(2));
            case NAR -> nar(out, lie);
            case PAIRS -> {
                int n = random.nextInt(3);
                out.u64(lie ? lyingLength() : n);
                for (int i = 0; i < n; i++) out.str(random.nextBoolean() ? "cores" : string()).str(string());
            }
            case IMPORT -> {
                out.u64(1);
                nar(out, lie);
                out.u64(0x4558494eL).str(path()).u64(0).str("").u64(0).u64(0);
            }
        }
    }

    private void nar(Out out, boolean truncate) {
        byte[] nar = TestNar.file("fuzz " + random.nextInt(1000));
        out.raw(nar, truncate ? random.nextInt(nar.length) : nar.length);
    }

    private long lyingLength() {
        return switch (random.nextInt(3)) {
            case 0 -> Long.MAX_VALUE;
            case 1 -> 1L << 40;
            default -> 1L << 20 + random.nextInt(12);
        };
    }

    private String string() {
        return switch (random.nextInt(6)) {
            case 0 -> "";
            case 1 -> "not a path \u0000 with a NUL";
            case 2 -> "/etc/passwd";
            case 3 -> storeDir + "/" + "x".repeat(random.nextInt(40));
            default -> path();
        };
    }

    private String path() {
        return storeDir + "/" + "0123456789abcdfghijklmnpqrsvwxyz".repeat(2).substring(random.nextInt(16), random.nextInt(16) + 32)
                + "-fuzz";
    }

    /** Little-endian words and padded strings, as on the wire. */
    private static final class Out {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Out u64(long v) {
            byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
            bytes.writeBytes(b);
            return this;
        }

        Out str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            raw(b, b.length);
            bytes.writeBytes(new byte[(8 - b.length % 8) % 8]);
            return this;
        }

        void raw(byte[] b, int length) {
            bytes.write(b, 0, length);
        }

        byte[] bytes() { return bytes.toByteArray(); }
    }
}
