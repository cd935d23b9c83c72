package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonProcess;
import loomd.test.support.Trees;

/**
 * The rootless daemon (the whole daemon as nobody, builds in a user namespace) gives a builder the
 * same view as a root daemon with build users: one derivation records ids, the mount options of
 * {@code /}, {@code /etc}, {@code /tmp}, the store, {@code /proc} and {@code /dev}, and whether each
 * is writable; built by both daemons, its outputs are identical.
 */
class BuildViewTest {
    static final String VIEW = String.join("\n",
            "{",
            "echo \"ids $(id -u) $(id -g) $(id -G)\"",
            "for d in / /etc /tmp " + Derivations.S + " /proc /dev /dev/shm /dev/pts $NIX_BUILD_TOP; do",
            "  m=$(awk -v d=$d '$5 == d { o = $6 } END { print o }' /proc/self/mountinfo)",
            "  if touch $d/.probe 2>/dev/null; then w=yes; rm -f $d/.probe; else w=no; fi",
            "  echo \"$d mount=${m:-none} writable=$w\"",
            "done",
            "for f in /etc/passwd /etc/group /etc/hosts; do",
            "  if echo x >> $f 2>/dev/null; then echo \"$f writable\"; else echo \"$f read-only\"; fi",
            "done",
            "cat /etc/passwd /etc/group /etc/hosts; hostname; ls /dev | tr '\\n' ' '; echo",
            "ls -d /proc/1 /proc/self/ns/user 2>&1",
            "} > $out");

    @TempDir
    Path tmp;

    @Test
    void aRootlessDaemonGivesTheBuilderTheViewOfARootDaemonWithBuildUsers() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "needs root to make users and become nobody");
        assumeTrue(Files.exists(Path.of("/usr/bin/setpriv")), "needs setpriv");
        assumeTrue(BuildGroup.idsFree(1), "uid 30001 and gid 30000 are taken on this host");
        String asRoot;
        try (BuildGroup group = BuildGroup.create(1)) {
            asRoot = view(DaemonProcess.builder(tmp.resolve("root")).args("--build-users-group=" + BuildGroup.NAME));
        }
        Path home = Files.createTempDirectory("loomd-rootless-");
        try {
            Files.getFileAttributeView(home, PosixFileAttributeView.class).setOwner(
                    home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
            String rootless = view(DaemonProcess.builder(home)
                    .wrapper("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
            assertTrue(asRoot.startsWith("ids 30001 30000 30000\n"), asRoot);
            assertTrue(asRoot.contains("/etc mount=none writable=no\n"), asRoot);
            assertTrue(asRoot.contains("/etc/passwd read-only\n"), asRoot);
            assertTrue(asRoot.contains("/tmp mount=rw"), asRoot);
            assertEquals(asRoot, rootless);
        } finally {
            Trees.delete(home);
        }
    }

    /** Builds the view derivation on a fresh daemon and returns what the builder recorded. */
    private String view(DaemonProcess.Builder builder) throws Exception {
        try (DaemonProcess daemon = builder.start(); StoreClient client = daemon.client()) {
            client.setOptions(BuildOptions.defaults().withUseSubstitutes(false));
            Derivations drvs = new Derivations(daemon, client);
            drvs.addBusybox(tmp.resolve("busybox-" + daemon.pid()));
            Derivation d = drvs.make("view", VIEW);
            try {
                client.buildPaths(List.of(drvs.add(d)), BuildMode.NORMAL);
            } catch (Exception e) {
                throw new AssertionError(e.getMessage() + "\n" + daemon.log(), e);
            }
            return Files.readString(drvs.physical(d.outputs().get("out").path()));
        }
    }
}
