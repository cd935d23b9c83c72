package loomd.process;

import java.io.InputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A child started by the JDK (the locker, later helpers), behind the same interface as spawned ones.
 * The JDK's own reaper thread waits for it; {@link Process#onExit()} completes the future.
 */
public final class JdkChildProcess implements ChildProcess {
    private final Process process;
    private final CompletableFuture<ExitStatus> exit;

    public JdkChildProcess(Process process) {
        this.process = process;
        this.exit = process.onExit().thenApply(p -> decode(p.exitValue()));
    }

    /**
     * The JDK reports a signal death as 128 + signal, which an exit code of that value cannot be told
     * apart from; values above 128 are read as signals, as shells do.
     */
    static ExitStatus decode(int exitValue) {
        if (exitValue > 128 && exitValue < 128 + 65) {
            return new ExitStatus.Signaled(exitValue - 128, false);
        }
        return new ExitStatus.Exited(exitValue & 0xff);
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public CompletableFuture<ExitStatus> onExit() {
        return exit;
    }

    /** JDK children share the daemon's process group, so this kills the child and its descendants by pid. */
    @Override
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    @Override
    public InputStream output() {
        return process.getInputStream();
    }

    public Process process() {
        return process;
    }
}
