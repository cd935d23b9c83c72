package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonFixture;

/**
 * A client that hangs up mid-build (protocol.md §7.3): its builder's whole tree is gone within a
 * second, unless another session waits for the same derivation. The builders are found in
 * {@code /proc} by a marker in their command line (the shell's script and its {@code sleep}).
 */
class HangupTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> b.env("GUIX_LOG_DIRECTORY", b.root().resolve("log").toString()));

    @TempDir
    Path tmp;
    Derivations drvs;

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "chroot builds need root here");
        drvs = new Derivations(daemon.process(), daemon.client());
        drvs.addBusybox(tmp);
    }

    /** Pids of live processes whose command line holds {@code marker} (zombies have none). */
    static List<Long> processesWith(String marker) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.ISO_8859_1).replace('\0', ' ');
                    return cmd.contains(marker);
                } catch (IOException gone) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static long awaitChange(String marker, boolean present, long limitMillis) throws InterruptedException {
        long t0 = System.nanoTime();
        while (processesWith(marker).isEmpty() == present) {
            if (System.nanoTime() - t0 > limitMillis * 1_000_000) {
                break;
            }
            Thread.sleep(5);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static CompletableFuture<Boolean> buildAsync(BuildSession s, String drv) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return s.client.buildPaths(List.of(drv), BuildMode.NORMAL);
            } catch (IOException e) {
                return false;
            }
        }, r -> Thread.ofPlatform().daemon().start(r)); // not the common pool: one thread on a 2-core machine
    }

    @Test
    void aClientThatHangsUpHasItsBuilderTreeKilledAtOnce() throws Exception {
        String marker = "sleep 9871";
        Derivation d = drvs.make("hung-up", "echo started; " + marker + "; echo never > $out");
        String drv = drvs.add(d);
        BuildSession s = BuildSession.open(daemon);
        CompletableFuture<Boolean> build = buildAsync(s, drv);
        awaitChange(marker, true, 30_000);
        assertFalse(processesWith(marker).isEmpty(), "the builder runs");
        s.close();
        long gone = awaitChange(marker, false, 5_000);
        assertTrue(processesWith(marker).isEmpty(), "builder tree still there after 5 s");
        assertTrue(gone < 1_000, "builder tree gone after " + gone + " ms");
        assertFalse(build.get(10, TimeUnit.SECONDS));
        assertFalse(daemon.client().isValidPath(d.outputs().get("out").path()));
    }

    @Test
    void aHangUpDoesNotKillABuildAnotherSessionWaitsFor() throws Exception {
        String marker = "sleep 6.9872";
        Derivation d = drvs.make("shared-hang-up", "echo started; " + marker + "; echo done > $out");
        String drv = drvs.add(d);
        BuildSession first = BuildSession.open(daemon);
        CompletableFuture<Boolean> gone = buildAsync(first, drv);
        awaitChange(marker, true, 30_000);
        try (BuildSession second = BuildSession.open(daemon)) {
            CompletableFuture<Boolean> stays = buildAsync(second, drv);
            Thread.sleep(2_000); // time enough for the second session to join the running goal (it gets no trace)
            first.close();
            assertFalse(gone.get(10, TimeUnit.SECONDS));
            Thread.sleep(1_000);
            assertFalse(processesWith(marker).isEmpty(), "the builder still runs for the second session");
            assertTrue(stays.get(60, TimeUnit.SECONDS));
            assertEquals(1, first.traces("build-started").size() + second.traces("build-started").size(), "built once");
        }
        assertEquals("done\n", Files.readString(drvs.physical(d.outputs().get("out").path())));
    }
}
