package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildEvents;
import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.testkit.Poll;
import loomd.test.locker.LockProbe;
import loomd.test.support.DaemonFixture;

/** {@code --build-users-group} (daemon.md §4.5, §9.15, §9.24) with a real group made for the test. */
class BuildUsersTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> b.args("--build-users-group=" + BuildGroup.NAME));
    static BuildGroup group;

    @TempDir
    Path tmp;
    StoreClient client;
    Derivations drvs;
    final List<BuildEvents.Event> events = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void makeGroup() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "build users need a root daemon");
        assumeTrue(BuildGroup.idsFree(2), "uids 30001-30002 and gid 30000 are taken on this host");
        group = BuildGroup.create(2);
    }

    @AfterAll
    static void removeGroup() throws Exception {
        if (group != null) {
            group.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        client = connect(3);
        drvs = new Derivations(daemon.process(), client);
        drvs.addBusybox(tmp);
    }

    StoreClient connect(int maxJobs) throws Exception {
        StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(new BuildEvents(events::add)));
        c.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withUseSubstitutes(false).withMaxBuildJobs(maxJobs));
        return c;
    }

    @Test
    void theBuilderRunsAsTheFirstFreeMemberWhoseOtherProcessesAreKilledBeforeAndAfter() throws Exception {
        Process before = strayAs(BuildGroup.FIRST_UID);
        Derivation d = drvs.make("as-build-user", "id -u > $out; id -g >> $out; id -G >> $out; sleep 2");
        String drv = drvs.add(d);
        CompletableFuture<Boolean> build = CompletableFuture.supplyAsync(() -> build(client, drv));
        assertTrue(Poll.until(java.time.Duration.ofSeconds(10), () -> !before.isAlive()), "killed before the build");
        Process during = strayAs(BuildGroup.FIRST_UID);
        assertTrue(build.get(60, TimeUnit.SECONDS));
        assertTrue(during.waitFor(5, TimeUnit.SECONDS), "killed after the build");
        assertEquals("30001\n30000\n30000\n", Files.readString(drvs.physical(d.outputs().get("out").path())));
        assertSlotsFree();
    }

    @Test
    void whenEveryBuildUserIsBusyABuildWaitsForOne() throws Exception {
        client.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withUseSubstitutes(false).withMaxBuildJobs(4));
        List<String> paths = new ArrayList<>();
        List<Derivation> ds = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Derivation d = drvs.make("busy-" + i, "sleep 1; id -u > $out");
            ds.add(d);
            paths.add(drvs.add(d));
        }
        assertTrue(client.buildPaths(paths, BuildMode.NORMAL));
        java.util.Set<String> uids = new java.util.TreeSet<>();
        for (Derivation d : ds) {
            uids.add(Files.readString(drvs.physical(d.outputs().get("out").path())).trim());
        }
        assertEquals(java.util.Set.of("30001", "30002"), uids);
        // Four job slots for four builds: only the two build users make two of them wait.
        assertTrue(text().contains("waiting for locks or build slots..."), text());
        assertSlotsFree();
    }

    @Test
    void aFailedOrCancelledBuildLeaksNoSlot() throws Exception {
        String failing = drvs.add(drvs.make("fails-as-user", "exit 1"));
        assertThrows(DaemonException.class, () -> client.buildPaths(List.of(failing), BuildMode.NORMAL));
        assertTrue(Files.exists(daemon.process().stateDir().resolve("userpool/" + BuildGroup.FIRST_UID)), "a slot was taken");
        assertSlotsFree();
        String slow = drvs.add(drvs.make("cancelled-as-user", "echo started; sleep 60; echo late > $out"));
        StoreClient other = connect(1);
        CompletableFuture.runAsync(() -> build(other, slow));
        assertTrue(Poll.until(java.time.Duration.ofSeconds(20), () -> text().contains("started")));
        other.close();
        assertTrue(Poll.until(java.time.Duration.ofSeconds(10), () -> slotFree(BuildGroup.FIRST_UID)), "slot freed");
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().user().orElse("").equals(BuildGroup.NAME + "1")),
                "no process of the build user is left");
    }

    private String text() {
        StringBuilder sb = new StringBuilder();
        synchronized (events) {
            events.forEach(e -> {
                if (e instanceof BuildEvents.Log l) sb.append(l.text());
            });
        }
        return sb.toString();
    }

    private void assertSlotsFree() {
        for (int uid = BuildGroup.FIRST_UID; uid < BuildGroup.FIRST_UID + 2; uid++) {
            assertTrue(slotFree(uid), "slot " + uid + " is free");
        }
    }

    /** Whether another process could take the slot lock now (a missing file is a free slot). */
    private static boolean slotFree(int uid) {
        Path file = daemon.process().stateDir().resolve("userpool/" + uid);
        return !Files.exists(file) || LockProbe.writeLockable(file);
    }

    private static Process strayAs(int uid) throws Exception {
        return new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + BuildGroup.GID, "--clear-groups",
                "sleep", "300").start();
    }

    private static boolean build(StoreClient c, String drv) {
        try {
            return c.buildPaths(List.of(drv), BuildMode.NORMAL);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
