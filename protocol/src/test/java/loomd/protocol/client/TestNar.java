package loomd.protocol.client;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds small NARs in memory for tests (formats.md §2), independent of loomd.protocol.nar so the
 * client tests check the bytes against the recordings, not against our own writer.
 */
public final class TestNar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public sealed interface Node permits File, Symlink, Dir {}

    public record File(byte[] contents, boolean executable) implements Node {}

    public record Symlink(String target) implements Node {}

    public record Dir(Map<String, Node> entries) implements Node {}

    public static File file(String contents, boolean executable) {
        return new File(contents.getBytes(StandardCharsets.UTF_8), executable);
    }

    public static Dir dir(Map<String, Node> entries) {
        return new Dir(new TreeMap<>(entries));
    }

    public static byte[] of(Node root) {
        TestNar nar = new TestNar();
        nar.str("nix-archive-1");
        nar.node(root);
        return nar.out.toByteArray();
    }

    private void node(Node node) {
        str("(");
        str("type");
        switch (node) {
            case File f -> {
                str("regular");
                if (f.executable()) {
                    str("executable");
                    str("");
                }
                str("contents");
                bytes(f.contents());
            }
            case Symlink s -> {
                str("symlink");
                str("target");
                str(s.target());
            }
            case Dir d -> {
                str("directory");
                for (var e : d.entries().entrySet()) {
                    str("entry");
                    str("(");
                    str("name");
                    str(e.getKey());
                    str("node");
                    node(e.getValue());
                    str(")");
                }
            }
        }
        str(")");
    }

    private void str(String s) {
        bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    private void bytes(byte[] b) {
        long n = b.length;
        for (int i = 0; i < 8; i++) {
            out.write((int) (n >>> (8 * i)));
        }
        out.writeBytes(b);
        out.write(new byte[(int) ((8 - (n & 7)) & 7)], 0, (int) ((8 - (n & 7)) & 7));
    }
}
