package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The build directory of one build attempt (daemon.md §4.6).
 *
 * @param outer      {@code $TMPDIR/guix-build-NAME.drv-N}, owned by the daemon, 0700
 * @param builderDir where the builder works: {@code outer/top} in a chroot (so the builder cannot make
 *                   {@code outer} world-writable, CVE-2021-27851), else {@code outer} itself
 * @param inSandbox  the builder's name for it: {@code /tmp/guix-build-NAME.drv-0} in a chroot (always
 *                   {@code -0}), else {@code builderDir}
 */
public record BuildDirectory(Path outer, Path builderDir, String inSandbox) {

    /**
     * Makes the first free {@code guix-build-DRVNAME-N} under {@code tmpDir} (symlinks in it resolved),
     * and {@code top} inside it for a chroot build; with a build user, the builder's directory is
     * handed to it. Unlike upstream (§9.18), a failed {@code mkdir} of {@code top} is an error.
     */
    public static BuildDirectory create(Path tmpDir, String drvName, boolean chroot, Optional<BuildIdentity.BuildUser> user)
            throws IOException {
        Path parent = tmpDir.toRealPath();
        for (int n = 0; ; n++) {
            Path outer = parent.resolve("guix-build-" + drvName + "-" + n);
            try {
                Files.createDirectory(outer, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                continue;
            }
            Path builderDir = outer;
            if (chroot) {
                builderDir = Files.createDirectory(outer.resolve("top"),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            BuildDirectory dir = new BuildDirectory(outer, builderDir,
                    chroot ? "/tmp/guix-build-" + drvName + "-0" : builderDir.toString());
            if (user.isPresent()) {
                dir.handTo(user.get());
            }
            return dir;
        }
    }

    /** Hands the builder's directory to a build user (upstream's chown to build uid and build group). */
    public void handTo(BuildIdentity.BuildUser user) throws IOException {
        Files.setAttribute(builderDir, "unix:uid", user.uid());
        Files.setAttribute(builderDir, "unix:gid", user.gid());
    }
}
