package loomd.protocol.nar;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

final class NarTestSupport {
    private NarTestSupport() {
    }

    static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    static Path file(Path path, String contents, boolean executable) throws IOException {
        Files.writeString(path, contents, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        return path;
    }

    static byte[] narOf(Path root) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new NarWriter().write(root, out);
        return out.toByteArray();
    }

    static ByteArrayInputStream stream(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    /** The §1.5 directory: README (hello\n) and a -> README. */
    static Path vectorDirectory(Path dir) throws IOException {
        Files.createDirectory(dir);
        file(dir.resolve("README"), "hello\n", false);
        Files.createSymbolicLink(dir.resolve("a"), Path.of("README"));
        return dir;
    }

    static boolean isEmptyDirectory(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
