package loomd.test.support;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hand-built NAR bytes (formats.md §2) for tests that must not depend on the code under test:
 * {@code TestNar.file("x")}, {@code TestNar.dir(Map.of("a", TestNar.node(...)))}.
 */
public final class TestNar {
    /** A NAR node: a regular file, an executable, a symlink or a directory. */
    public sealed interface Node { }

    public record File(byte[] contents, boolean executable) implements Node { }

    public record Symlink(String target) implements Node { }

    public record Dir(Map<String, Node> entries) implements Node { }

    private TestNar() { }

    public static byte[] file(String contents) {
        return of(new File(contents.getBytes(StandardCharsets.UTF_8), false));
    }

    public static byte[] of(Node root) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        str(out, "nix-archive-1");
        node(out, root);
        return out.toByteArray();
    }

    private static void node(ByteArrayOutputStream out, Node n) {
        str(out, "(");
        str(out, "type");
        switch (n) {
            case File f -> {
                str(out, "regular");
                if (f.executable()) {
                    str(out, "executable");
                    str(out, "");
                }
                str(out, "contents");
                bytes(out, f.contents());
            }
            case Symlink s -> {
                str(out, "symlink");
                str(out, "target");
                str(out, s.target());
            }
            case Dir d -> {
                str(out, "directory");
                for (Map.Entry<String, Node> e : new TreeMap<>(d.entries()).entrySet()) {
                    str(out, "entry");
                    str(out, "(");
                    str(out, "name");
                    str(out, e.getKey());
                    str(out, "node");
                    node(out, e.getValue());
                    str(out, ")");
                }
            }
        }
        str(out, ")");
    }

    private static void str(ByteArrayOutputStream out, String s) {
        bytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void bytes(ByteArrayOutputStream out, byte[] b) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(b.length).array());
        out.writeBytes(b);
        out.writeBytes(new byte[(8 - b.length % 8) % 8]);
    }
}
