package loomd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import loomd.test.support.DaemonProcess;

/**
 * CPU time of a daemon the harness started and of its own children (the spawner, the locker), not
 * of the builders: on a shared machine, wall times are inflated by other work, CPU time much less.
 */
final class DaemonCpu {
    private DaemonCpu() {}

    /** User plus system milliseconds of the daemon and its direct children; -1 for a daemon not ours. */
    static long millis(Optional<DaemonProcess> daemon) throws IOException {
        if (daemon.isEmpty()) {
            return -1;
        }
        long pid = daemon.get().pid();
        long ticks = ticks(pid);
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                String[] f = fields(p.resolve("stat"));
                if (f != null && Long.parseLong(f[1]) == pid) {
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                }
            }
        }
        return ticks * 10; // USER_HZ is 100 on Linux
    }

    /** The first field of /proc/loadavg, for the report. */
    static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    private static long ticks(long pid) {
        String[] f = fields(Path.of("/proc/" + pid + "/stat"));
        return f == null ? 0 : Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** The fields after the command name (which may hold spaces): state is [0], ppid [1], utime [11], stime [12]. */
    private static String[] fields(Path stat) {
        try {
            String s = Files.readString(stat);
            return s.substring(s.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null; // the process ended meanwhile
        }
    }
}
