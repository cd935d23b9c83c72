package loomd.test.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;

/**
 * Scale to zero under {@code systemd-socket-activate}: the activator holds the socket for the whole
 * test; a small loop under it plays the socket unit's part after each exit (wait until a client is
 * pending on fd 3, start {@code bin/loomd} again with {@code LISTEN_PID} its pid), as systemd does
 * with loomd.socket. A client sends requests with pauses around the one-second {@code --idle-exit},
 * so some land while a daemon drains and exits, and a second client sends one the moment each
 * daemon logs its exit: across ten idle exits every request is answered and none is refused or cut.
 */
class IdleExitTest {
    private static final int EXITS = 10;

    static final String REACTIVATE = """
            #!/bin/sh
            # $1: file counting starts and exits; the rest: the daemon command.
            runs=$1; shift
            while :; do
                python3 -c 'import select, sys; sys.exit(0 if select.select([3], [], [], 0.5)[0] else 1)' || continue
                echo start >> "$runs"
                sh -c 'export LISTEN_PID=$$; exec "$@"' sh "$@"
                status=$?
                echo "exit $status" >> "$runs"
                [ "$status" = 0 ] || exit "$status"
            done
            """;

    @TempDir
    Path root;

    @Test
    void everyRequestAnsweredAcrossTenIdleExits() throws Exception {
        Path script = Files.writeString(root.resolve("reactivate.sh"), REACTIVATE);
        Path runs = root.resolve("runs");
        Files.writeString(runs, "");
        List<String> cmd = List.of("sh", script.toString(), runs.toString(), Activator.launcher().toString(),
                "--store-root=" + root, "--disable-chroot", "--idle-exit=1", "--shutdown-grace=5");
        Random random = new Random(14);
        List<String> failures = new ArrayList<>();
        int answered = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        try (Activator a = Activator.start(root, cmd)) {
            Thread chaser = Thread.ofPlatform().name("chaser").start(() -> chaseExits(a, failures));
            while (exits(runs) < EXITS && System.nanoTime() < deadline) {
                String text = "request " + answered + "\n";
                try (StoreClient c = StoreClient.connectUnix(a.socket(), ClientOptions.DEFAULT)) {
                    String p = c.addTextToStore("idle-" + answered + ".txt", text, List.of());
                    assertTrue(c.isValidPath(p));
                    answered++;
                } catch (IOException e) {
                    synchronized (failures) {
                        failures.add("request " + answered + ": " + e);
                    }
                }
                // Mostly past the idle time (an exit follows), sometimes just around it (the request
                // meets a daemon deciding to exit or draining), sometimes at once.
                TimeUnit.MILLISECONDS.sleep(random.nextInt(4) == 0 ? random.nextInt(200) : 900 + random.nextInt(700));
            }
            stopChasing = true;
            chaser.join();
            String log = a.output();
            assertEquals(List.of(), failures, log);
            assertTrue(chased >= EXITS, "requests sent as a daemon announced its exit: " + chased);
            assertTrue(exits(runs) >= EXITS, "only " + exits(runs) + " idle exits before the deadline: " + log);
            assertTrue(Files.readAllLines(runs).stream().filter(l -> l.startsWith("exit")).allMatch(l -> l.equals("exit 0")),
                    Files.readString(runs));
            assertTrue(answered > EXITS, "answered " + answered);
            // Every stored item is still there for the next daemon.
            try (StoreClient c = StoreClient.connectUnix(a.socket(), ClientOptions.DEFAULT)) {
                assertTrue(c.isValidPath(c.addTextToStore("idle-0.txt", "request 0\n", List.of())));
            }
        }
    }

    private volatile int chased;
    private volatile boolean stopChasing;

    /**
     * The moment a daemon logs that it is exiting, one more request: it meets the drain, the
     * JVM's exit or the gap before the next start, and must wait in the backlog and be answered.
     * After the stop, one last look, so the last exit is chased too.
     */
    private void chaseExits(Activator a, List<String> failures) {
        long seen = 0;
        boolean last = false;
        while (!last) {
            last = stopChasing;
            try {
                long announced = a.output().lines().filter(l -> l.startsWith("idle for 1 s, exiting")).count();
                if (announced > seen) {
                    seen = announced;
                    try (StoreClient c = StoreClient.connectUnix(a.socket(), ClientOptions.DEFAULT)) {
                        assertTrue(c.isValidPath(c.addTextToStore("chase-" + seen + ".txt", "chase\n", List.of())));
                    }
                    chased++;
                }
                TimeUnit.MILLISECONDS.sleep(2);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                synchronized (failures) {
                    failures.add("request at exit " + seen + ": " + e);
                }
            }
        }
    }

    private static long exits(Path runs) throws IOException {
        return Files.readAllLines(runs).stream().filter(l -> l.startsWith("exit")).count();
    }
}
