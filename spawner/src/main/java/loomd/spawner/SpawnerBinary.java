package loomd.spawner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Finds the spawner executable: a configured path, or the copy shipped inside the jar. */
public final class SpawnerBinary {
    /** Where the build puts the binary inside the jar. */
    public static final String RESOURCE = "/loomd/spawner/native/loomd-spawner";

    private SpawnerBinary() {}

    /** The configured binary if there is one, else the jar's copy extracted into {@code privateDir}. */
    public static Path locate(java.util.Optional<Path> configured, Path privateDir) throws IOException {
        return configured.isPresent() ? fromPath(configured.get()) : extractFromJar(privateDir);
    }

    /** A configured binary; it must exist and be executable. */
    public static Path fromPath(Path binary) throws IOException {
        if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
            throw new IOException("spawner binary " + binary + " is not an executable file");
        }
        return binary;
    }

    /**
     * Extracts the jar's binary into {@code privateDir} (created 0700) as {@code loomd-spawner-<hash>},
     * mode 0500, unless that exact file is already there. The name carries the content hash so a running
     * older copy is never overwritten (no ETXTBSY, no stale binary).
     */
    public static Path extractFromJar(Path privateDir) throws IOException {
        byte[] bytes;
        try (InputStream in = SpawnerBinary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("the jar has no spawner binary at " + RESOURCE);
            }
            bytes = in.readAllBytes();
        }
        Files.createDirectories(privateDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("rwx------"));
        Path target = privateDir.resolve("loomd-spawner-" + shortHash(bytes));
        if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
            return target;
        }
        Path temp = Files.createTempFile(privateDir, "loomd-spawner-", ".tmp");
        try {
            Files.write(temp, bytes);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("r-x------"));
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        return target;
    }

    private static String shortHash(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
