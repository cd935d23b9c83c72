package loomd.posix;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A native helper's executable (the spawner, the locker) as the daemon runs it: a configured path, or
 * the copy the build put inside the jar, extracted into a private directory. Sits next to
 * {@link HelperSocket}, the link to the helper once it runs.
 */
public final class HelperBinary {
    private HelperBinary() {}

    /** A configured binary; it must exist and be executable. {@code helper} names it in the error. */
    public static Path fromPath(Path binary, String helper) throws IOException {
        if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
            throw new IOException(helper + " binary " + binary + " is not an executable file");
        }
        return binary;
    }

    /**
     * Extracts the class-path resource {@code resource} (seen from {@code anchor}) into {@code privateDir}
     * (created 0700) as {@code <name>-<hash>}, mode 0500, unless that exact file is already there. The
     * name carries the content hash so a running older copy is never overwritten (no ETXTBSY, no stale
     * binary).
     */
    public static Path extract(Class<?> anchor, String resource, String name, Path privateDir) throws IOException {
        byte[] bytes;
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("the jar has no " + name + " binary at " + resource);
            }
            bytes = in.readAllBytes();
        }
        Files.createDirectories(privateDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("rwx------"));
        Path target = privateDir.resolve(name + "-" + shortHash(bytes));
        if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
            return target;
        }
        Path temp = Files.createTempFile(privateDir, name + "-", ".tmp");
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
