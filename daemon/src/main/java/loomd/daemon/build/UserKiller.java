package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

import loomd.spawner.Spawner;

/**
 * Upstream's {@code killUser} (daemon.md §4.5) made sure (§9.15): the spawner's helper, running as the
 * build user, sends SIGKILL to every process of that uid; then {@code /proc} is read for any process
 * whose real, effective or saved uid is still that uid (zombies excluded: they are already dead), and
 * the kill is repeated until none is left or {@link #PATIENCE} is over, which is an error. A process
 * that another uid's process re-created under the build uid in between is caught by the next round.
 */
final class UserKiller {
    static final Duration PATIENCE = Duration.ofSeconds(5);
    private static final Path PROC = Path.of("/proc");

    private final Spawner spawner;

    UserKiller(Spawner spawner) {
        this.spawner = spawner;
    }

    /** Kills every process of {@code uid} and returns once none is left. */
    void killAll(int uid, int gid) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            try {
                spawner.killUser(uid, gid).join();
            } catch (CompletionException e) {
                throw new IOException("cannot kill processes for uid `" + uid + "': " + e.getCause().getMessage(), e.getCause());
            }
            List<Long> left = processesOf(uid);
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("cannot kill processes for uid `" + uid + "': still running after "
                        + PATIENCE.toSeconds() + " s: " + left);
            }
            Thread.sleep(10);
        }
    }

    /** Live processes (not zombies) with {@code uid} as real, effective or saved uid. */
    static List<Long> processesOf(int uid) throws IOException {
        List<Long> found = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
            for (Path p : dir) {
                if (runsAs(p.resolve("status"), uid)) {
                    found.add(Long.parseLong(p.getFileName().toString()));
                }
            }
        }
        return found;
    }

    private static boolean runsAs(Path status, int uid) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(status);
        } catch (NoSuchFileException e) {
            return false; // gone meanwhile
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No such process")) {
                return false;
            }
            throw e;
        }
        boolean zombie = false;
        boolean match = false;
        for (String line : lines) {
            if (line.startsWith("State:")) {
                zombie = line.contains("Z") || line.contains("X");
            } else if (line.startsWith("Uid:")) {
                String[] f = line.substring(4).trim().split("\\s+");
                for (int i = 0; i < Math.min(3, f.length); i++) {
                    match |= f[i].equals(Integer.toString(uid));
                }
            }
        }
        return match && !zombie;
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }
}
