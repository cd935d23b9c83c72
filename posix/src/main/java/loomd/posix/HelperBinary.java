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

    /**
     * Starts {@code builder}, retrying while the kernel says the binary is busy (ETXTBSY). The daemon
     * extracts and starts its helpers from several threads at once: a child forked for one helper holds,
     * until its exec, a copy of the descriptor another thread is writing the other helper's binary
     * through, and exec of that binary fails meanwhile. The window is the child's fork-to-exec time.
     */
    public static Process start(ProcessBuilder builder) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return builder.start();
            } catch (IOException e) {
                if (attempt == BUSY_ATTEMPTS || !textFileBusy(e)) {
                    throw e;
                }
            }
            try {
                Thread.sleep(BUSY_PAUSE_MILLIS * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting " + builder.command().get(0), e);
            }
        }
    }

    /** About 5 s in all: the fork-to-exec window of a child of a loaded machine can last that long. */
    private static final int BUSY_ATTEMPTS = 40;
    private static final long BUSY_PAUSE_MILLIS = 6;

    /** The JDK says it "error=26, Text file busy" (posix_spawn) or "Exec failed, error: 26 (...)" (jspawnhelper). */
    static boolean textFileBusy(IOException e) {
        String m = e.getMessage();
        return m != null && (m.contains("error=26,") || m.contains("error: 26 "));
    }

    private static String shortHash(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
