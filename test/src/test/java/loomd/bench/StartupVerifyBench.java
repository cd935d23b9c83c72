package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up verification after an unclean stop: 10,000 paths registered after the durable checkpoint
 * (a daemon that never syncs on its own, {@code --flush-interval} of an hour, adds them from 16
 * clients and is killed with kill -9), then the next start verifies every one against its NAR hash
 * before it listens. Prints the daemon's own timing line and the wall time of the restart.
 */
@Tag("bench")
class StartupVerifyBench {
    static final int PATHS = 10_000;
    static final int CLIENTS = 16;
    static final Pattern SUMMARY = Pattern.compile(
            "start-up verification: (\\d+) paths registered after durable checkpoint \\d+ checked in (\\d+) ms; .*");

    @TempDir Path dir;

    static void report(String line) {
        System.out.println("[StartupVerifyBench] " + line);
        System.err.println("[StartupVerifyBench] " + line);
    }

    @Test
    void verifyTenThousandRecentPaths() throws Exception {
        Path root = dir.resolve("d");
        try (DaemonProcess daemon = DaemonProcess.builder(root).args("--flush-interval=3600000").start()) {
            List<Future<?>> done = new ArrayList<>();
            try (var pool = Executors.newFixedThreadPool(CLIENTS)) {
                for (int k = 0; k < CLIENTS; k++) {
                    int client = k;
                    done.add(pool.submit(() -> {
                        try (StoreClient c = StoreClient.connectUnix(daemon.socketPath(), ClientOptions.DEFAULT)) {
                            for (int i = client; i < PATHS; i += CLIENTS) {
                                c.addTextToStore("recent-" + i, "recent path number " + i + "\n".repeat(i % 50), List.of());
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get();
            }
            List<ProcessHandle> helpers = daemon.process().descendants().toList();
            daemon.process().destroyForcibly().waitFor();
            helpers.forEach(ProcessHandle::destroyForcibly);
        }
        long t0 = System.nanoTime();
        try (DaemonProcess daemon = DaemonProcess.builder(root).start()) {
            long restartMs = (System.nanoTime() - t0) / 1_000_000;
            String line = daemon.log().lines().filter(l -> l.contains("start-up verification")).findFirst().orElseThrow();
            Matcher m = SUMMARY.matcher(line.substring(line.indexOf("start-up verification")));
            assertTrue(m.matches(), line);
            assertTrue(Integer.parseInt(m.group(1)) >= PATHS, line);
            report(line.substring(line.indexOf("start-up verification")));
            report(String.format("verification of %s recent paths: %s ms; restart until the first handshake: %d ms",
                    m.group(1), m.group(2), restartMs));
        }
    }
}
