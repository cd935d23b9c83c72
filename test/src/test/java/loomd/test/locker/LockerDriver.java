package loomd.test.locker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.Wait;
import loomd.posix.FdPassing;
import loomd.test.support.ChildJvm;

/**
 * A stand-in daemon for the kill -9 test: launches a locker, takes an exclusive lock on every file named on
 * the command line, prints "locked LOCKER_PID" and then waits to be killed.
 */
public final class LockerDriver {
    private LockerDriver() {}

    public static void main(String[] args) throws Exception {
        LockerClient client = LockerClient.launch(Path.of(args[0]));
        LockOwner owner = client.newOwner("driver");
        List<java.util.concurrent.CompletableFuture<?>> locks = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            locks.add(client.lock(owner, Path.of(args[i]), LockMode.EXCLUSIVE, Wait.TRY).thenAccept(l -> l.held()));
        }
        locks.forEach(java.util.concurrent.CompletableFuture::join);
        System.out.println("locked " + client.lockerPid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /** The command line that runs this driver in a fresh JVM. */
    static List<String> command(Path runtimeDir, List<Path> files) {
        List<String> cmd = ChildJvm.command(LockerDriver.class, List.of("-XX:+UseSerialGC"),
                LockerClient.class, FdPassing.class);
        cmd.add(runtimeDir.toString());
        files.forEach(f -> cmd.add(f.toString()));
        return cmd;
    }
}
