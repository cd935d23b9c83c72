package loomd.locker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.posix.Processes;
import loomd.testkit.Poll;
import loomd.testkit.Stopwatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The native locker itself: what runs, what it costs, and what it does better than a JVM could. */
class NativeLockerTest {
    static final long MAX_RSS_KB = 4096;
    static final Duration SOON = Duration.ofSeconds(10);

    @RegisterExtension
    final LockerFixture locker = new LockerFixture(run -> new LockerProgram.Native(run.resolve(LockerProgram.PRIVATE_DIR)));

    @TempDir
    Path dir;

    @Test
    void theNativeLockerIsTheDefault() {
        assumeTrue(System.getProperty(LockerProgram.PROPERTY) == null && System.getenv(LockerProgram.ENV) == null,
                "a locker program is configured");
        assertInstanceOf(LockerProgram.Native.class, LockerProgram.configured(dir));
    }

    @Test
    void theLockerProcessIsTheNativeBinaryAndStaysUnder4MB() throws Exception {
        LockerClient client = locker.client();
        long pid = client.lockerPid();
        Path exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe"));
        assertTrue(exe.getFileName().toString().startsWith("loomd-locker-"), "the locker runs " + exe);
        assertEquals(locker.runtimeDir().resolve(LockerProgram.PRIVATE_DIR), exe.getParent());
        assertTrue(LockerClient.isLocker(ProcessHandle.of(pid).orElseThrow()));
        long started = status(pid, "VmRSS");

        LockOwner owner = client.newOwner("rss");
        List<CompletableFuture<PathLock>> locks = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            locks.add(client.lock(owner, dir.resolve("f" + i), LockMode.EXCLUSIVE, Wait.TRY));
        }
        locks.forEach(f -> f.join().held());
        long holding = status(pid, "VmRSS");
        assertEquals(1000, client.releaseAll(owner).get(10, TimeUnit.SECONDS));
        long idle = status(pid, "VmRSS");
        System.out.printf("native locker VmRSS: %d kB started, %d kB holding 1000 locks, %d kB idle again%n",
                started, holding, idle);
        assertTrue(started < MAX_RSS_KB, "VmRSS " + started + " kB right after start");
        assertTrue(idle < MAX_RSS_KB, "VmRSS " + idle + " kB idle after 1000 locks");
        assertEquals(1, status(pid, "Threads"), "no thread but the reader while nothing waits");
    }

    /** A frame far above the usual input buffer (a 300 kB path) is read whole, refused, and the locker serves on. */
    @Test
    void aHugePathIsRefusedAndTheLockerServesOn() throws Exception {
        LockerClient client = locker.client();
        LockOwner owner = client.newOwner("huge");
        Path huge = dir.resolve("x".repeat(300_000));
        java.util.concurrent.CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.CompletionException.class,
                () -> client.lock(owner, huge, LockMode.EXCLUSIVE, Wait.TRY).join());
        LockFailedException failure = assertInstanceOf(LockFailedException.class, e.getCause());
        assertEquals(36, failure.errno(), failure.getMessage()); // ENAMETOOLONG
        assertTrue(failure.getMessage().length() < 8192, "the message carries at most PATH_MAX bytes of the path");
        assertTrue(client.lock(owner, dir.resolve("small.lock"), LockMode.EXCLUSIVE, Wait.TRY)
                .get(10, TimeUnit.SECONDS).acquired());
        assertEquals(1, client.generation());
    }

    /** A JVM thread blocked in F_OFD_SETLKW cannot be interrupted; the native waiter is, by a signal. */
    @Test
    void aCancelledWaiterLeavesTheKernelAtOnce() throws Exception {
        LockerClient client = locker.client();
        long pid = client.lockerPid();
        LockOwner holder = client.newOwner("holder");
        Path file = dir.resolve("held.lock");
        client.lock(holder, file, LockMode.EXCLUSIVE, Wait.TRY).get(10, TimeUnit.SECONDS).held();
        CompletableFuture<PathLock> waiting = client.lock(client.newOwner("waiter"), file, LockMode.EXCLUSIVE, Wait.WAIT);
        assertTrue(Poll.until(SOON, () -> status(pid, "Threads") == 2), "the waiting request has its thread");

        waiting.cancel(true);
        assertTrue(Poll.until(SOON, () -> status(pid, "Threads") == 1),
                "the cancelled waiter's thread ended while the lock was still held");
        assertEquals(1, client.stats().get(10, TimeUnit.SECONDS).heldLocks());
        client.releaseAll(holder).get(10, TimeUnit.SECONDS);
        int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
        try {
            assertTrue(OfdLocks.tryLock(fd, LockKind.WRITE), "nobody took the lock for the cancelled request");
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void aKilledLockerIsBackAtOnce() throws Exception {
        LockerClient client = locker.client();
        LockOwner owner = client.newOwner("owner");
        Path file = dir.resolve("again.lock");
        long old = client.lockerPid();
        Processes.kill((int) old, Processes.SIGKILL);
        Stopwatch killed = Stopwatch.start();
        PathLock again = Poll.until(Stopwatch.PATIENCE, () -> lockOrNull(client, owner, file), lock -> lock != null);
        long ms = killed.assertPrompt("kill -9 of the native locker to a new one serving a lock");
        assertTrue(again != null && again.acquired(), "no lock from a new locker within " + ms + " ms");
        assertEquals(2, again.held().generation());
        assertTrue(client.lockerPid() != old);
    }

    private static PathLock lockOrNull(LockerClient client, LockOwner owner, Path file) {
        try {
            return client.lock(owner, file, LockMode.EXCLUSIVE, Wait.TRY).join();
        } catch (RuntimeException e) {
            return null; // still the dead locker's link
        }
    }

    @Test
    void theJvmLockerStillServesForComparison() throws Exception {
        try (LockerClient client = LockerClient.launch(dir.resolve("run"), new LockerProgram.Jvm())) {
            ProcessHandle process = ProcessHandle.of(client.lockerPid()).orElseThrow();
            assertTrue(process.info().arguments().map(a -> List.of(a).contains(LockerMain.class.getName())).orElse(false));
            assertTrue(LockerClient.isLocker(process));
            LockOwner owner = client.newOwner("jvm");
            assertTrue(client.lock(owner, dir.resolve("jvm.lock"), LockMode.EXCLUSIVE, Wait.TRY)
                    .get(30, TimeUnit.SECONDS).acquired());
            assertEquals(1, client.releaseAll(owner).get(10, TimeUnit.SECONDS));
        }
    }

    /** A number field of /proc/PID/status (VmRSS in kB, Threads). */
    static long status(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no " + field + " in /proc/" + pid + "/status");
    }
}
