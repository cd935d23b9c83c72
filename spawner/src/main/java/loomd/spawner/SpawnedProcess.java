package loomd.spawner;

import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.concurrent.CompletableFuture;

import loomd.posix.Processes;
import loomd.process.ChildProcess;
import loomd.process.ExitStatus;

/**
 * A child the spawner started and reported as running (it has called execve). Its exit future is
 * completed by the spawner link's reader thread.
 */
public final class SpawnedProcess implements ChildProcess {

    private final SpawnerClient client;
    private final long id;
    private final long pid;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final InputStream output;

    SpawnedProcess(SpawnerClient client, long id, long pid, Pipe.SourceChannel source) {
        this.client = client;
        this.id = id;
        this.pid = pid;
        this.output = source == null ? InputStream.nullInputStream() : Channels.newInputStream(source);
    }

    /** The request's id on the spawner link. */
    public long id() {
        return id;
    }

    @Override
    public long pid() {
        return pid;
    }

    /**
     * Completes with the exit status; fails with a {@link SpawnException} carrying
     * {@link SpawnError.SpawnerGone} if the spawner dies first (its children die with it). Dependent
     * stages added without an executor run on the link's reader thread: keep them short.
     */
    @Override
    public CompletableFuture<ExitStatus> onExit() {
        return exit;
    }

    /** SIGKILL to the process group (or the child alone with {@link ProcessGroup#SHARED}). */
    @Override
    public void kill() {
        signal(Processes.SIGKILL);
    }

    /**
     * Any signal (1 to 64) to the process group; a no-op once the child has exited or the spawner is gone.
     * Checked here because the spawner treats a bad signal number as a broken daemon and ends (rule 10).
     */
    public void signal(int signal) {
        if (signal < 1 || signal > 64) {
            throw new IllegalArgumentException("not a signal number: " + signal);
        }
        if (!exit.isDone()) {
            client.signal(id, signal);
        }
    }

    @Override
    public InputStream output() {
        return output;
    }

    void completeExit(ExitStatus status) {
        exit.complete(status);
    }

    void failExit(SpawnException e) {
        exit.completeExceptionally(e);
    }

    @Override
    public String toString() {
        return "SpawnedProcess[id=" + id + ", pid=" + pid + "]";
    }
}
