package loomd.process;

import java.io.InputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A child of the daemon, whoever started it: the spawner ({@code loomd.spawner.SpawnedProcess}) or the
 * JDK ({@link JdkChildProcess}). Nothing here blocks; the exit future is completed by the thread that
 * learns about the exit (the spawner link's reader, or the JDK's process reaper).
 */
public interface ChildProcess {

    /** The pid as the daemon sees it. */
    long pid();

    /** Completes once with how the child ended; fails if the child's fate cannot be known (its spawner died). */
    CompletableFuture<ExitStatus> onExit();

    /** Sends SIGKILL to the child's process group (or to the child alone when it has none of its own). */
    void kill();

    /**
     * The child's captured stdout+stderr; EOF once every writer has gone. Reads block (fine on a virtual
     * thread). An empty stream when output was not captured. The caller closes it.
     */
    InputStream output();
}
