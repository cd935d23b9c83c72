package loomd.test.substitute;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import loomd.test.support.DaemonProcess;

/**
 * The stand-in {@code guix} of the substitute tests ({@code fake-guix.py} in the test resources):
 * installed as the daemon's {@code GUIX} program (how the daemon finds {@code guix substitute}, as
 * upstream), it serves what {@link #serve} wrote under {@code FAKE_SUBST_DIR} and records each start.
 */
public record FakeSubstituter(Path dir) {
    static final String ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

    /** Writes the stand-in under the daemon's root and points the daemon at it. */
    public static DaemonProcess.Builder install(DaemonProcess.Builder b) throws IOException {
        Path guix = b.root().resolve("bin/guix");
        Files.createDirectories(guix.getParent());
        try (InputStream in = FakeSubstituter.class.getResourceAsStream("fake-guix.py")) {
            Files.write(guix, in.readAllBytes());
        }
        Files.setPosixFilePermissions(guix, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dir = Files.createDirectories(b.root().resolve("substituter"));
        return b.env("GUIX", guix.toString()).env("FAKE_SUBST_DIR", dir.toString());
    }

    public static FakeSubstituter of(DaemonProcess d) {
        return new FakeSubstituter(d.root().resolve("substituter"));
    }

    /** A store path name that is not in the store: a hash part derived from {@code name} and {@code salt}. */
    public static String path(String storeDir, String name, int salt) {
        StringBuilder hash = new StringBuilder();
        long x = (name.hashCode() * 31L + salt) & 0xffffffffL;
        for (int i = 0; i < 32; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            hash.append(ALPHABET.charAt((int) ((x >>> 33) % 32)));
        }
        return storeDir + "/" + hash + "-" + name;
    }

    /** Serves {@code path}: {@code fields} go to its JSON (values: strings, numbers, booleans, string lists). */
    public void serve(String path, Map<String, Object> fields) throws IOException {
        Files.writeString(dir.resolve(Path.of(path).getFileName() + ".json"), json(fields));
    }

    public void serveFile(String path, String contents, List<String> references, String deriver) throws IOException {
        serve(path, Map.of("contents", contents, "references", references, "deriver", deriver, "narSize", 1234));
    }

    /** The modes of the helpers started so far ({@code --query} or {@code --substitute}), with pids. */
    public List<String[]> starts() throws IOException {
        Path f = dir.resolve("starts");
        if (!Files.exists(f)) return List.of();
        List<String[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(f)) out.add(line.split(" "));
        return out;
    }

    public long startsOf(String mode) throws IOException {
        return starts().stream().filter(s -> s[0].equals(mode)).count();
    }

    /** The {@code _NIX_OPTIONS} helper {@code pid} was started with. */
    public String options(String pid) throws IOException {
        return Files.readString(dir.resolve("options-" + pid), StandardCharsets.UTF_8);
    }

    static String json(Object v) {
        return switch (v) {
            case String s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
            case Map<?, ?> m -> m.entrySet().stream().map(e -> json(e.getKey()) + ": " + json(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
            case List<?> l -> l.stream().map(FakeSubstituter::json).collect(Collectors.joining(", ", "[", "]"));
            default -> String.valueOf(v);
        };
    }
}
