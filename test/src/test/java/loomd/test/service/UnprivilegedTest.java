package loomd.test.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/**
 * The unprivileged service variant as systemd would start it (etc/unprivileged/loomd.service:
 * {@code User=guix-daemon}, {@code AmbientCapabilities=CAP_CHOWN}), played by setpriv with uid and
 * gid 65534 and CAP_CHOWN as the one ambient capability, on a store that account owns: the daemon
 * serves, says how it runs, and refuses with one clear line what that mode cannot do.
 */
class UnprivilegedTest {
    private static final int NOBODY = 65534;
    private static final List<String> AS_DAEMON_ACCOUNT = List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
            "--clear-groups", "--inh-caps=+chown", "--ambient-caps=+chown", "--");

    private Path root;

    @BeforeEach
    void ownedByTheAccount() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "loomd-unpriv-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        chown(root);
    }

    @AfterEach
    void remove() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void servesAsTheDaemonAccount() throws Exception {
        try (DaemonProcess d = DaemonProcess.builder(root).wrapper(AS_DAEMON_ACCOUNT.toArray(String[]::new))
                .args("--disable-chroot").start()) {
            try (StoreClient c = d.client()) {
                assertTrue(c.isValidPath(c.addTextToStore("unprivileged.txt", "as the account\n", List.of())));
            }
            assertEquals(NOBODY, (int) Files.getAttribute(d.dbFile(), "unix:uid"), "the database belongs to the account");
            String log = d.log();
            assertTrue(log.contains("running unprivileged as `nobody' (uid 65534): builds run in user namespaces, "
                    + "CAP_CHOWN kept"), log);
            assertTrue(!log.contains("daemon is running as root"), log);
        }
    }

    @Test
    void refusesBuildUsers() throws Exception {
        String out = failedStart(List.of("--build-users-group=guixbuild"));
        assertTrue(out.contains("error: `--build-users-group=guixbuild' needs the daemon to run as root; running as "
                + "`nobody' (uid 65534), builds run in user namespaces as that account, without build users"), out);
    }

    @Test
    void refusesAStoreItCannotWrite() throws Exception {
        Path store = root.resolve("gnu/store");
        Files.createDirectories(store);
        chown(root.resolve("gnu"));
        // The store itself stays root's, as after an upstream root install.
        String out = failedStart(List.of());
        assertTrue(out.contains("error: `" + store + "' is not writable by `nobody' (uid 65534); an unprivileged daemon "
                + "needs the store and state directories owned by its account"), out);
    }

    /** Starts the daemon as the account and expects it to exit 1 at once; returns its output. */
    private String failedStart(List<String> args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(AS_DAEMON_ACCOUNT);
        cmd.add(DaemonProcess.javaBinary().toString());
        cmd.addAll(DaemonProcess.JVM_FLAGS);
        cmd.addAll(List.of("-jar", DaemonProcess.daemonJar().toString(), "--store-root=" + root,
                "--listen=" + root.resolve("daemon.sock"), "--disable-chroot"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("NIX_STORE_DIR", "/gnu/store");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        return out;
    }

    private static void chown(Path p) throws IOException {
        UserPrincipalLookupService users = p.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(p, users.lookupPrincipalByName("nobody"));
        Files.setAttribute(p, "unix:gid", NOBODY);
    }
}
