package loomd.protocol.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wopAddToStore shape: fields, an unframed NAR, more fields; the NAR is read through rawInput(). */
class NarOverWireTest {
    @TempDir
    Path tmp;

    @Test
    void inlineNarEndsExactlyWhereTheNextFieldBegins() throws Exception {
        Path tree = Files.createDirectory(tmp.resolve("tree"));
        byte[] big = new byte[150_001];
        new Random(3).nextBytes(big);
        Files.write(tree.resolve("big"), big);
        NarTestSupport.file(tree.resolve("small"), "x", true);
        byte[] nar = NarTestSupport.narOf(tree);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        WireWriter w = new WireWriter(bytes);
        w.writeString("sha256");
        w.rawOutput().write(nar);
        w.writeUInt(7);
        w.writeString("next");
        w.flush();

        for (int trickle : new int[] {1, 5, 8, 4096, Integer.MAX_VALUE}) {
            WireReader r = new WireReader(trickle(bytes.toByteArray(), trickle));
            assertEquals("sha256", r.readString(LimitKind.STRING));
            Path target = tmp.resolve("restored-" + trickle);
            NarSummary summary = new NarRestorer().restore(r.rawInput(), target);
            assertEquals(nar.length, summary.nar().narSize());
            assertEquals(7, r.readUInt());
            assertEquals("next", r.readString(LimitKind.STRING));
            assertArrayEquals(nar, NarTestSupport.narOf(target));
        }
    }

    private static InputStream trickle(byte[] data, int max) {
        return new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, max));
            }
        };
    }
}
