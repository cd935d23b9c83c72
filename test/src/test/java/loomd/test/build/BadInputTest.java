package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationHasher;
import loomd.protocol.drv.DerivationPaths;
import loomd.protocol.store.StoreDir;
import loomd.test.support.DaemonFixture;

/**
 * The bad input, through the real daemon (busybox, full sandbox): each gives upstream's error
 * and leaves no registered or half-built output, and no container directory, behind. The daemon's
 * heap is capped, so a log flood that it queued instead of holding the builder back would kill it.
 */
class BadInputTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> b.jvmOption("-Xmx96m")
            .env("GUIX_LOG_DIRECTORY", b.root().resolve("log").toString()));

    @TempDir
    Path tmp;
    BuildSession s;
    Derivations drvs;

    @BeforeEach
    void setUp() throws Exception {
        s = BuildSession.withBusybox(daemon, tmp);
        drvs = s.drvs;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (s != null) s.close();
        try (Stream<Path> store = Files.list(daemon.process().physicalStoreDir())) {
            assertEquals(List.of(), store.filter(p -> p.getFileName().toString().endsWith(".chroot")).toList(),
                    "no container directory left");
        }
    }

    DaemonException fails(String drv) {
        return assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
    }

    void nothingOf(Derivation d) throws Exception {
        for (var o : d.outputs().values()) {
            assertFalse(s.client.isValidPath(o.path()), o.path());
            assertFalse(Files.exists(drvs.physical(o.path())), "no half-built " + o.path());
        }
    }

    /** {@code d} with another builder (outputs recomputed). */
    Derivation withBuilder(Derivation d, String name, String builder) throws Exception {
        Derivation blank = new Derivation(d.outputs(), d.inputDrvs(), d.inputSrcs(), d.platform(), builder, d.args(), d.env());
        return DerivationPaths.withComputedOutputs(blank, name, new StoreDir(Derivations.S),
                DerivationHasher.ofText(p -> Files.readAllBytes(drvs.physical(p))));
    }

    @Test
    void aDerivationThatDoesNotParseIsRefusedWhenAdded() throws Exception {
        DaemonException e = assertThrows(DaemonException.class,
                () -> s.client.addTextToStore("garbage.drv", "Derive([(\"out\",", List.of()));
        assertTrue(e.getMessage().matches("error parsing derivation `/gnu/store/[0-9a-z]{32}-garbage\\.drv': .*"), e.getMessage());
    }

    @Test
    void aDerivationDamagedOnDiskDoesNotBuild() throws Exception {
        Derivation d = drvs.make("damaged", "echo x > $out");
        String drv = drvs.add(d);
        Path file = drvs.physical(drv);
        file.toFile().setWritable(true);
        Files.writeString(file, "Derive([(\"out\",");
        DaemonException e = fails(drv);
        assertTrue(e.getMessage().startsWith("error parsing derivation `" + drv + "': "), e.getMessage());
        assertEquals(1, e.status());
        nothingOf(d);
    }

    @Test
    void aBuilderThatDoesNotExist() throws Exception {
        Derivation d = withBuilder(drvs.make("no-builder", "echo x > $out"), "no-builder",
                Derivations.BUSYBOX + "/bin/no-such-program");
        String drv = drvs.add(d);
        DaemonException e = fails(drv);
        assertEquals(100, e.status());
        assertEquals(List.of(drv + " - 1 builder for `" + drv + "' failed with exit code 1"), s.traces("build-failed"));
        nothingOf(d);
    }

    @Test
    void anInputThatCannotBeBuilt() throws Exception {
        Derivation bad = drvs.make("bad-input", "exit 1");
        String badDrv = drvs.add(bad);
        Derivation top = drvs.make("on-bad-input", "echo x > $out", List.of("out"), Map.of(badDrv, List.of("out")), Map.of(), null);
        String topDrv = drvs.add(top);
        DaemonException e = fails(topDrv);
        assertEquals("build of `" + topDrv + "' failed", e.getMessage());
        assertEquals(100, e.status());
        assertTrue(s.messages().contains("cannot build derivation `" + topDrv + "': 1 dependencies couldn't be built\n"),
                s.messages());
        nothingOf(top);
        nothingOf(bad);
    }

    @Test
    void anInputOutputThatDoesNotExist() throws Exception {
        Derivation in = drvs.make("one-output", "echo x > $out");
        String inDrv = drvs.add(in);
        Derivation top = drvs.make("wants-nope", "echo x > $out", List.of("out"), Map.of(inDrv, List.of("nope")), Map.of(), null);
        String topDrv = drvs.add(top);
        DaemonException e = fails(topDrv);
        assertEquals("derivation `" + topDrv + "' requires non-existent output `nope' from input derivation `" + inDrv + "'",
                e.getMessage());
        nothingOf(top);
    }

    @Test
    void anOutputNameWithASlash() throws Exception {
        // Made with an output "ab", then renamed: the client-side path computation refuses '/' itself.
        Derivation ok = drvs.make("slashed", "echo x > $out", List.of("out", "ab"), Map.of(), Map.of(), null);
        var outs = new java.util.TreeMap<>(ok.outputs());
        outs.put("a/b", outs.remove("ab"));
        Derivation d = new Derivation(outs, ok.inputDrvs(), ok.inputSrcs(), ok.platform(), ok.builder(), ok.args(), ok.env());
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.addTextToStore("slashed.drv",
                loomd.protocol.drv.ATermPrinter.print(d), List.copyOf(d.references())));
        assertEquals("invalid character `/' in name `slashed-a/b'", e.getMessage());
    }

    @Test
    void aBuilderThatForksADaemonAndExits() throws Exception {
        String marker = "sleep 9873";
        Derivation d = drvs.make("forks-daemon", "(" + marker + " &); (setsid " + marker + " &); echo ok > $out");
        String drv = drvs.add(d);
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        long t0 = System.nanoTime();
        while (!HangupTest.processesWith(marker).isEmpty() && System.nanoTime() - t0 < 2_000_000_000L) {
            Thread.sleep(10);
        }
        assertEquals(List.of(), HangupTest.processesWith(marker), "the builder's daemons are killed with it");
    }

    @Test
    void aBuilderWritingIntoItsInputsFindsThemReadOnly() throws Exception {
        Derivation d = drvs.make("writes-input", "set -e; echo evil > " + Derivations.BUSYBOX + "/evil; echo ok > $out");
        String drv = drvs.add(d);
        DaemonException e = fails(drv);
        assertEquals(100, e.status());
        assertFalse(Files.exists(drvs.physical(Derivations.BUSYBOX).resolve("evil")));
        assertTrue(s.builderOutput().contains("Read-only file system"), s.builderOutput());
        nothingOf(d);
    }

    @Test
    @org.junit.jupiter.api.Timeout(300) // without the holding back, the capped daemon thrashes and never answers
    void aGibibyteOfLogKeepsTheDaemonsMemoryBounded() throws Exception {
        AtomicLong received = new AtomicLong();
        // A client that lags at first: the builder must wait for it, not the daemon's heap fill up.
        try (StoreClient slow = daemon.client(ClientOptions.DEFAULT.withLog(text -> {
            if (received.getAndAdd(text.length()) == 0) {
                sleep(10_000);
            }
        }))) {
            slow.setOptions(loomd.protocol.client.BuildOptions.defaults().withUseSubstitutes(false).withBuildVerbosity(0));
            Derivation d = drvs.make("log-flood", "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 1073741824; echo done > $out");
            String drv = drvs.add(d);
            assertTrue(slow.buildPaths(List.of(drv), BuildMode.NORMAL));
            assertTrue(received.get() >= 1L << 30, "the whole log reached the client: " + received.get());
        }
        assertTrue(daemon.process().isAlive());
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
