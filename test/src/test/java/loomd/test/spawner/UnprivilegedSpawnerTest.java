package loomd.test.spawner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The unprivileged mode: a daemon JVM running as nobody (65534) drives its own spawner, which builds
 * every sandbox inside a user namespace.
 */
class UnprivilegedSpawnerTest {

    @Test
    void sandboxesWorkForANonRootDaemon() throws Exception {
        // As root, become nobody; as anyone else (a non-root CI), the driver already is unprivileged.
        boolean root = Sandboxes.isRoot();
        assumeTrue(!root || Files.exists(Path.of("/usr/bin/setpriv")) || Files.exists(Path.of("/bin/setpriv")), "needs setpriv");
        List<String> asNobody = root ? List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups") : List.of();
        // JUnit's temp dirs are 0700 root; nobody needs a work dir of its own.
        Path work = Files.createTempDirectory("loomd-unprivileged-");
        if (root) {
            Files.getFileAttributeView(work, PosixFileAttributeView.class).setOwner(
                    work.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        }
        try {
            checkAsNobody(asNobody, work);
        } finally {
            try (var tree = Files.walk(work)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void checkAsNobody(List<String> asNobody, Path work) throws Exception {
        Process driver = new ProcessBuilder(SpawnerDriver.command(asNobody, "unprivileged", work))
                .redirectErrorStream(true).start();
        Map<String, String> facts = new LinkedHashMap<>();
        StringBuilder transcript = new StringBuilder();
        try (var reader = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                transcript.append(line).append('\n');
                int eq = line.indexOf('=');
                if (eq > 0) {
                    facts.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        assertTrue(driver.waitFor(30, TimeUnit.SECONDS));
        assertTrue(transcript.toString().contains("DONE"), transcript.toString());
        assertTrue(facts.get("id").startsWith("uid=30001 gid=30000"), transcript.toString());
        assertEquals("1", facts.get("pid"), transcript.toString());
        assertEquals("sandbox", facts.get("hostname"), transcript.toString());
        assertEquals(3, facts.get("netdev").split(",").length, transcript.toString());
        assertTrue(facts.get("netdev").contains("lo:"), transcript.toString());
        var dev = new TreeSet<>(List.of(facts.get("dev").split(",")));
        dev.remove("kvm");
        assertEquals(new TreeSet<>(List.of("fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
                "stdout", "tty", "urandom", "zero")), dev, transcript.toString());
        assertTrue(facts.get("ro").contains("refused"), transcript.toString());
        assertEquals("0,1,2", facts.get("fds"), transcript.toString());
        // The nested namespace maps 30001 to itself, so its parent namespace is the sandbox's first one.
        assertTrue(facts.get("locked").matches("\\s*30001\\s+30001\\s+1.*"), transcript.toString());
        assertTrue(facts.get("refused").contains("step setuid: Invalid argument"), transcript.toString());
        // Without a user namespace nobody may not create namespaces: a precise clone error.
        assertTrue(facts.get("privileged").contains("step clone: Operation not permitted"), transcript.toString());
    }
}
