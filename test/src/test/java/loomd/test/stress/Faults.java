package loomd.test.stress;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import loomd.locker.LockerClient;
import loomd.posix.Processes;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/**
 * The faults the campaign injects, each against the daemon running at that moment. A fault returns
 * when it is over (the daemon restarted, the lock released, the disk freed); the load goes on
 * throughout. {@link Restarter} is how the campaign replaces a killed daemon.
 */
final class Faults {
    enum Kind { KILL_DAEMON, KILL_LOCKER, KILL_SPAWNER, KILL_BUILDER, SQLITE_WRITE_LOCK, SLOW_READER, STOP_LOCKER, DISK_FULL }

    interface Restarter {
        DaemonProcess current();

        /** kill -9 of the daemon and its helpers, then a new daemon on the same store. */
        void killAndRestart() throws Exception;
    }

    private final Restarter daemons;
    private final Path fillerDir;

    /** {@code fillerDir}: on the store's file system, outside the store; null when the disk cannot be filled. */
    Faults(Restarter daemons, Path fillerDir) {
        this.daemons = daemons;
        this.fillerDir = fillerDir;
    }

    boolean canFillDisk() { return fillerDir != null; }

    /** Injects {@code kind}; returns what happened, for the report. */
    String inject(Kind kind) throws Exception {
        DaemonProcess d = daemons.current();
        return switch (kind) {
            case KILL_DAEMON -> { daemons.killAndRestart(); yield "daemon killed and restarted"; }
            case KILL_LOCKER -> signalChild(d, "locker", LockerClient::isLocker, Processes.SIGKILL);
            case KILL_SPAWNER -> signalChild(d, "spawner", Faults::isSpawner, Processes.SIGKILL);
            case KILL_BUILDER -> killBuilder(d);
            case SQLITE_WRITE_LOCK -> holdWriteLock(d, 3);
            case SLOW_READER -> slowReader(d, 5);
            case STOP_LOCKER -> stopLocker(d, 2);
            case DISK_FULL -> fillDisk(3);
        };
    }

    private static boolean isSpawner(ProcessHandle p) {
        return p.info().command().map(c -> c.contains("spawner")).orElse(false);
    }

    private static String signalChild(DaemonProcess d, String what, java.util.function.Predicate<ProcessHandle> test,
            int signal) {
        Optional<ProcessHandle> child = d.process().children().filter(test).findFirst();
        if (child.isEmpty()) return "no " + what + " found";
        signal((int) child.get().pid(), signal);
        return what + " (pid " + child.get().pid() + ") sent signal " + signal;
    }

    /** The process may be gone already: the fault then simply did not happen. */
    private static void signal(int pid, int signal) {
        try {
            Processes.kill(pid, signal);
        } catch (loomd.posix.PosixException gone) {
            // ESRCH: it ended by itself.
        }
    }

    /** A builder's whole process group: the spawner's grandchildren are builders (or their init). */
    private static String killBuilder(DaemonProcess d) throws InterruptedException {
        List<ProcessHandle> builders = List.of();
        for (int tries = 0; tries < 50 && builders.isEmpty(); tries++) {
            if (tries > 0) TimeUnit.MILLISECONDS.sleep(100);
            builders = d.process().children().filter(Faults::isSpawner).flatMap(ProcessHandle::descendants)
                    .filter(p -> p.info().command().map(c -> !c.contains("sleep")).orElse(true)).toList();
        }
        if (builders.isEmpty()) return "no builder running within 5 s";
        ProcessHandle victim = builders.getFirst();
        signal(-(int) victim.pid(), Processes.SIGKILL);
        signal((int) victim.pid(), Processes.SIGKILL);
        return "builder group " + victim.pid() + " killed";
    }

    /** Another program in the middle of a write transaction: the daemon's writers must wait, not fail. */
    private static String holdWriteLock(DaemonProcess d, int seconds) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + d.dbFile());
             Statement s = c.createStatement()) {
            s.execute("pragma busy_timeout = 60000");
            s.execute("begin immediate");
            TimeUnit.SECONDS.sleep(seconds);
            s.execute("rollback");
        }
        return "sqlite write lock held " + seconds + " s";
    }

    /** A client that asks for every valid path's export and reads nothing for a while. */
    private static String slowReader(DaemonProcess d, int seconds) throws Exception {
        try (StoreClient c = d.client()) {
            List<String> all = c.queryAllValidPaths();
            OutputStream stalled = new OutputStream() {
                private boolean slept;
                @Override public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }
                @Override public void write(byte[] b, int off, int len) throws IOException {
                    if (slept) throw new IOException("the slow reader hangs up");
                    slept = true;
                    try {
                        TimeUnit.SECONDS.sleep(seconds);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            c.exportPaths(all.subList(0, Math.min(all.size(), 200)), false, false, stalled);
        } catch (IOException expected) {
            // The hang-up is the point: the daemon must drop this session and serve the others.
        }
        return "slow reader stalled " + seconds + " s";
    }

    private static String stopLocker(DaemonProcess d, int seconds) throws InterruptedException {
        String stopped = signalChild(d, "locker", LockerClient::isLocker, Processes.SIGSTOP);
        TimeUnit.SECONDS.sleep(seconds);
        signalChild(d, "locker", LockerClient::isLocker, Processes.SIGCONT);
        return stopped + ", continued after " + seconds + " s";
    }

    /** Fills the store's file system to the last byte, holds it full, then frees it. */
    private String fillDisk(int seconds) throws Exception {
        if (fillerDir == null) return "disk not fillable here (not root)";
        Files.createDirectories(fillerDir);
        Path filler = Files.createTempFile(fillerDir, "filler", "");
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            byte[] block = new byte[1 << 20];
            while (true) {
                out.write(block);
                written += block.length;
            }
        } catch (IOException full) {
            // ENOSPC: the file system is full now.
        }
        TimeUnit.SECONDS.sleep(seconds);
        Files.delete(filler);
        return "disk full (" + (written >> 20) + " MiB filler) for " + seconds + " s";
    }
}
