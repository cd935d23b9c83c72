package loomd.daemon.store.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Writes a stand-in for {@code guix authenticate} that speaks the real helper's line protocol:
 * {@code sign} checks that the key file exists and answers an s-expression holding the hash;
 * {@code verify} answers the hash inside a signature it made, and code 500 for anything else
 * (an untrusted or forged signature). Replies carry no trailing newline, as the real helper's.
 */
public final class FakeAuthenticate {

    private FakeAuthenticate() {}

    /** The script's text (a test resource, shared with the integration tests in {@code test/}). */
    public static String script() throws IOException {
        try (var in = FakeAuthenticate.class.getResourceAsStream("fake-authenticate.py")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Writes the helper into {@code dir}; returns the command line to configure. */
    public static List<String> write(Path dir) throws IOException {
        Path script = dir.resolve("fake-authenticate.py");
        Files.writeString(script, script());
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return List.of("python3", script.toString());
    }
}
