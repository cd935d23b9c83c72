package loomd.daemon.session;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Upstream's {@code createUser}: {@code V/profiles/per-user/<name>}, mode 0755, owned by the
 * user (daemon.md §1.3). A chown failure removes the directory again and prints upstream's info
 * message; other failures are ignored, as the directory is a convenience for the client.
 */
final class UserProfiles {
    private UserProfiles() { }

    static void create(Path stateDir, String name, int uid, StderrChannel stderr) throws IOException {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            return;
        }
        Path dir = stateDir.resolve("profiles").resolve("per-user").resolve(name);
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (FileAlreadyExistsException e) {
            return;
        } catch (IOException e) {
            return;
        }
        try {
            Files.setAttribute(dir, "unix:uid", uid);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            Files.deleteIfExists(dir);
            stderr.message(1, "failed to change owner of directory '" + dir + "' to " + uid + ": " + e.getMessage());
        }
    }
}
