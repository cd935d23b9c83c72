package loomd.test.spawner;

import static loomd.test.spawner.Sandboxes.run;
import static loomd.test.spawner.Sandboxes.sandbox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.process.ExitStatus;
import loomd.spawner.IdMapping;
import loomd.spawner.SpawnRequest;

/**
 * The sandbox a root daemon without build users asks for (ContainerLayout's guest identity: a user
 * namespace mapping 30001/30000 to root, locked mounts), as root. Its network namespace comes from the
 * spawner's spares, which the child is cloned into together with its user namespace; its read-only
 * binds are made with mount_setattr; the spawner holds its mount namespaces while it runs (spawner.c
 * rule 12). In a user namespace the builder owns root's files, so only the mount keeps an input unwritable.
 */
class SpawnerGuestTest {
    @RegisterExtension
    static final SpawnerFixture spawner = new SpawnerFixture();

    private static SpawnRequest.Builder guest(Path root, String... argv) {
        return sandbox(root, argv).userNamespace(new IdMapping(30001, 0, 30000, 0)).identity(30001, 30000)
                .lockMounts(true);
    }

    private static String out(SpawnRequest request) throws Exception {
        var result = run(spawner.client(), request);
        assertEquals(new ExitStatus.Exited(0), result.status(), () -> "output: " + result.output());
        return result.output();
    }

    @Test
    void onlyLoopbackUpAndTheBuilderCannotChangeIt() throws Exception {
        String dev = out(guest(spawner.root(), "/bin/cat", "/proc/net/dev").build());
        assertEquals(List.of("lo"), dev.lines().skip(2).map(l -> l.trim().split(":")[0]).toList());
        String link = out(guest(spawner.root(), "/bin/sh", "-c", "ip link; ip link set lo down 2>&1; ip link").build());
        assertTrue(link.contains("lo: <LOOPBACK,UP,LOWER_UP>"), link);
        assertTrue(link.contains("Operation not permitted"), link);
        assertFalse(link.contains("lo: <LOOPBACK>"), link);
    }

    @Test
    void everyGuestHasANetworkNamespaceOfItsOwn() throws Exception {
        String script = "ls -l /proc/self/ns/net | sed 's/.*-> //'";
        var held = spawner.client().spawn(guest(spawner.root(), "/bin/sh", "-c", script + "; exec sleep 1000").build())
                .get(10, TimeUnit.SECONDS);
        try (var reader = new BufferedReader(new InputStreamReader(held.output()))) {
            String first = reader.readLine();
            Thread.sleep(50); // idle time: a fresh spare is ready for the next request
            String second = out(guest(spawner.root(), "/bin/sh", "-c", script).build()).trim();
            String third = out(sandbox(spawner.root(), "/bin/sh", "-c", script).build()).trim();
            String host = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
            assertTrue(first.startsWith("net:["), first);
            assertTrue(second.startsWith("net:["), second);
            assertEquals(3, List.of(first, second, third).stream().distinct().count(), first + " " + second + " " + third);
            assertFalse(List.of(first, second, third).contains(host), "a sandbox is in the host's " + host);
        } finally {
            held.kill();
        }
    }

    @Test
    void aGuestIsClonedIntoTheSpareTheSpawnerMadeWhileIdle(@TempDir Path dir) throws Exception {
        try (var own = SpawnerFixture.launch(dir)) {
            String script = "ls -l /proc/self/ns/net | sed 's/.*-> //'";
            String home = Files.readSymbolicLink(Path.of("/proc/" + own.spawnerPid() + "/ns/net")).toString();
            assertEquals(new ExitStatus.Exited(0), run(own, guest(spawner.root(), "/bin/true").build()).status());
            String spare = loomd.testkit.Poll.until(java.time.Duration.ofSeconds(5), () -> netFds(own.spawnerPid()).stream()
                    .filter(t -> !t.equals(home)).findFirst(), java.util.Optional::isPresent)
                    .orElseThrow(() -> new AssertionError("no spare after a guest"));
            var result = run(own, guest(spawner.root(), "/bin/sh", "-c", script).build());
            assertEquals(spare, result.output().trim(), "the guest did not get the spare");
        }
    }

    @Test
    void theSpawnerHoldsARunningChildsMountNamespaceAndLetsGoOnceItHasExited() throws Exception {
        var held = spawner.client().spawn(guest(spawner.root(), "/bin/sleep", "1000").build()).get(10, TimeUnit.SECONDS);
        String childNs;
        try {
            childNs = Files.readSymbolicLink(Path.of("/proc/" + held.pid() + "/ns/mnt")).toString();
            String hostNs = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
            assertFalse(childNs.equals(hostNs), "the child is in the host's mount namespace");
            assertTrue(nsFds(spawner.client().spawnerPid(), "mnt:[").contains(childNs),
                    "the spawner does not hold " + childNs + ": " + nsFds(spawner.client().spawnerPid(), "mnt:["));
        } finally {
            held.kill();
        }
        held.onExit().get(10, TimeUnit.SECONDS);
        assertTrue(loomd.testkit.Poll.until(java.time.Duration.ofSeconds(5),
                () -> !nsFds(spawner.client().spawnerPid(), "mnt:[").contains(childNs)), "never released " + childNs);
    }

    private static List<String> netFds(long pid) throws java.io.IOException {
        return nsFds(pid, "net:[");
    }

    private static List<String> nsFds(long pid, String kind) throws java.io.IOException {
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (java.io.IOException gone) {
                    return "";
                }
            }).filter(t -> t.startsWith(kind)).toList();
        }
    }

    @Test
    void readOnlyInputsStayUnwritableToTheirOwnerAndOtherStorePathsAreAbsent(@TempDir Path data) throws Exception {
        // As ContainerLayout binds them: a writable fake store, an input read-only inside it.
        Path input = Files.createDirectories(data.resolve("store/aaaa-input"));
        Files.writeString(input.resolve("given"), "hello\n");
        Files.createDirectories(data.resolve("store/bbbb-not-an-input"));
        Path fake = Files.createDirectories(data.resolve("fake-store"));
        var request = guest(spawner.root(), "/bin/sh", "-c",
                "cat /store/aaaa-input/given; stat -c %u /store/aaaa-input/given; "
                        + "touch /store/aaaa-input/new 2>&1; chmod 777 /store/aaaa-input 2>&1; "
                        + "ls /store; grep ' /store/aaaa-input ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1; "
                        + "touch /store/built && echo wrote-rw")
                .bind(fake.toString(), "/store", false)
                .bind(input.toString(), "/store/aaaa-input", true)
                .build();
        List<String> lines = out(request).lines().toList();
        assertEquals("hello", lines.get(0), lines.toString());
        assertEquals("30001", lines.get(1), "root's file looks like the builder's own: only the mount protects it");
        assertTrue(lines.get(2).contains("Read-only file system"), lines.toString());
        assertTrue(lines.get(3).contains("Read-only file system"), lines.toString());
        assertEquals("aaaa-input", lines.get(4), "only the bound input is in the store: " + lines);
        assertEquals("ro", lines.get(5), lines.toString());
        assertEquals("wrote-rw", lines.get(6), lines.toString());
        assertFalse(Files.exists(input.resolve("new")));
        assertTrue(Files.exists(fake.resolve("built")));
    }
}
