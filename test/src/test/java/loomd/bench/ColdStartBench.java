package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/**
 * Cold start as a socket-activated service sees it: {@code systemd-socket-activate} holds the
 * socket; the harness connects and sends the handshake at once (the kernel queues it), which makes
 * the activator exec {@code bin/loomd}; measured from the connect to the handshake reply, then to
 * the first IsValidPath answer (on a second connection, as a client would). Each start is a
 * fresh daemon on the same store (created by a first, unmeasured run); the helpers' and the
 * daemon's RSS are read once it is idle. Variants, interleaved: with the AOT cache the build made
 * ({@code bin/loomd-aot}), the same with the JVM's default initial heap, and without ({@code LOOMD_AOT=off}). Runs per variant:
 * {@code -Dloomd.bench.starts} (default 20).
 * Run: {@code ./mvnw -B verify -Pbench -pl test -am -Dtest=ColdStartBench -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("bench")
class ColdStartBench {
    private static final int STARTS = Integer.getInteger("loomd.bench.starts", 20);

    @TempDir
    Path root;

    private record Start(double handshakeMs, double validPathMs, long daemonRssKiB, long helpersRssKiB) { }

    /** A launcher configuration: the AOT cache or not, extra JVM options ({@code LOOMD_JVM_OPTS}). */
    private record Variant(String name, boolean aot, String jvmOpts) { }

    /** bin/loomd's defaults (SerialGC, -Xms8m), then the JVM's default initial heap, then no cache. */
    private static final List<Variant> VARIANTS = List.of(new Variant("AOT cache (bin/loomd)", true, ""),
            new Variant("AOT cache, default -Xms", true, "-Xms0"), new Variant("no AOT cache", false, ""));

    @Test
    void launchToFirstReplies() throws Exception {
        Path jar = DaemonProcess.daemonJar();
        assertTrue(Files.exists(jar.resolveSibling("aot/current")), "no AOT cache next to " + jar + " (bin/loomd-aot)");
        start(VARIANTS.getFirst());
        Table t = new Table("[ColdStartBench] launch to first reply, " + STARTS + " cold starts each, load "
                + String.format("%.1f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage())
                + " (ms; RSS in MiB once idle)",
                "variant", "handshake median", "min", "max", "IsValidPath median", "max", "daemon RSS", "locker+spawner RSS");
        List<List<Start>> all = new ArrayList<>();
        VARIANTS.forEach(v -> all.add(new ArrayList<>()));
        // Interleaved, so a change in the machine's load touches every variant alike.
        for (int i = 0; i < STARTS; i++) {
            for (int v = 0; v < VARIANTS.size(); v++) {
                all.get(v).add(start(VARIANTS.get(v)));
            }
        }
        for (int v = 0; v < VARIANTS.size(); v++) {
            List<Start> runs = all.get(v);
            double[] hs = runs.stream().mapToDouble(Start::handshakeMs).sorted().toArray();
            double[] vp = runs.stream().mapToDouble(Start::validPathMs).sorted().toArray();
            t.row(VARIANTS.get(v).name(), hs[hs.length / 2], hs[0], hs[hs.length - 1], vp[vp.length / 2],
                    vp[vp.length - 1], runs.getLast().daemonRssKiB() / 1024.0, runs.getLast().helpersRssKiB() / 1024.0);
        }
        t.print();
    }

    private Start start(Variant variant) throws Exception {
        Path socket = root.resolve("daemon.sock");
        Files.deleteIfExists(socket);
        List<String> cmd = List.of("/usr/bin/systemd-socket-activate", "--listen=" + socket,
                "-E", "LOOMD_JAVA=" + DaemonProcess.javaBinary(), "-E", "LOOMD_JAR=" + DaemonProcess.daemonJar(),
                "-E", "LOOMD_AOT=" + (variant.aot() ? "on" : "off"), "-E", "LOOMD_JVM_OPTS=" + variant.jvmOpts(),
                "-E", "NIX_STORE_DIR=/gnu/store", "--",
                Path.of(System.getProperty("loomd.root"), "bin/loomd").toString(), "--store-root=" + root, "--disable-chroot");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("daemon.log").toFile())).start();
        try {
            while (!Files.exists(socket)) {
                TimeUnit.MILLISECONDS.sleep(2);
            }
            TimeUnit.MILLISECONDS.sleep(100);
            long t0 = System.nanoTime();
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                DaemonProcess.handshake(ch);
                long t1 = System.nanoTime();
                try (StoreClient c = StoreClient.connectUnix(socket, ClientOptions.DEFAULT)) {
                    c.isValidPath("/gnu/store/00000000000000000000000000000000-x");
                }
                long t2 = System.nanoTime();
                TimeUnit.MILLISECONDS.sleep(500);
                long daemon = DaemonBench.rssKiB(p.pid());
                long helpers = 0;
                for (ProcessHandle h : p.descendants().toList()) {
                    helpers += DaemonBench.rssKiB(h.pid());
                }
                return new Start((t1 - t0) / 1e6, (t2 - t0) / 1e6, daemon, helpers);
            }
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
