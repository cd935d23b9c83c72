package loomd.test.locker;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.LockerFixture;
import loomd.locker.LockerUnavailableException;
import loomd.locker.PathLock;
import loomd.locker.Wait;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kill -9 on either side of the daemon-locker link. */
class LockerDeathTest {
    static final int FILES = 200;

    @RegisterExtension
    final LockerFixture locker = new LockerFixture();

    @TempDir
    Path dir;

    @Test
    void killingTheDaemonReleasesEveryLockPromptly() throws Exception {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            files.add(dir.resolve("item-" + i + ".lock"));
        }
        Process driver = new ProcessBuilder(LockerDriver.command(dir.resolve("run"), files))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int[] fds = new int[FILES];
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("locked "), "driver said " + line);
            long lockerPid = Long.parseLong(line.substring("locked ".length()));
            for (int i = 0; i < FILES; i++) {
                fds[i] = Fds.open(files.get(i).toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
                assertFalse(OfdLocks.tryLock(fds[i], LockKind.READ), "held by the driver's locker: " + files.get(i));
            }

            Processes.kill((int) driver.pid(), Processes.SIGKILL);
            Stopwatch killed = Stopwatch.start();
            boolean[] free = new boolean[FILES];
            int freed = Poll.until(Stopwatch.PATIENCE, () -> {
                int count = 0;
                for (int i = 0; i < FILES; i++) {
                    free[i] = free[i] || OfdLocks.tryLock(fds[i], LockKind.WRITE);
                    count += free[i] ? 1 : 0;
                }
                return count;
            }, count -> count == FILES);
            assertEquals(FILES, freed, "locks still held " + Stopwatch.PATIENCE.toSeconds() + " s after the kill");
            killed.assertPrompt("kill -9 of the daemon side: all " + FILES + " locks free");
            ProcessHandle.of(lockerPid).ifPresent(p -> p.onExit().orTimeout(5, TimeUnit.SECONDS).join());
        } finally {
            driver.destroyForcibly();
            for (int fd : fds) {
                if (fd > 0) {
                    Fds.closeQuietly(fd);
                }
            }
        }
    }

    @Test
    void killingTheLockerIsNoticedAtOnceAndHandled() throws Exception {
        LockerClient client = locker.client();
        LockOwner build = client.newOwner("build");
        LockOwner session = client.newOwner("session");
        Path file = dir.resolve("out.lock");
        client.lock(build, file, LockMode.EXCLUSIVE, Wait.TRY).get(10, TimeUnit.SECONDS).held();
        CompletableFuture<PathLock> waiting = client.lock(session, file, LockMode.EXCLUSIVE, Wait.WAIT);
        CompletableFuture<LockerUnavailableException> lost = build.whenLost();
        long lockerPid = client.lockerPid();
        Thread.sleep(100);

        Processes.kill((int) lockerPid, Processes.SIGKILL);
        Stopwatch killed = Stopwatch.start();
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> waiting.get(Stopwatch.PATIENCE.toSeconds(), TimeUnit.SECONDS));
        killed.assertPrompt("kill -9 of the locker: waiting request failed (" + failed.getCause().getMessage() + ")");
        assertInstanceOf(LockerUnavailableException.class, failed.getCause());
        lost.get(5, TimeUnit.SECONDS);

        long restartStart = System.nanoTime();
        PathLock again = client.lock(session, file, LockMode.EXCLUSIVE, Wait.TRY).get(30, TimeUnit.SECONDS);
        System.out.println("restarted locker served its first lock "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartStart) + " ms after the failure was seen");
        assertTrue(again.acquired());
        assertTrue(client.lockerPid() != lockerPid);
        assertTrue(build.heldLocks().isEmpty());
    }
}
