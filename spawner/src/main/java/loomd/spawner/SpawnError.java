package loomd.spawner;

/** Why a spawn did not produce a running process, or why a running one's fate is unknown. */
public sealed interface SpawnError permits SpawnError.SetupFailure, SpawnError.ExecFailure, SpawnError.SpawnerGone {

    String message();

    /** The sandbox could not be built: {@code step} failed with {@code errno} on {@code detail} (often a path). */
    record SetupFailure(SetupStep step, int errno, String detail) implements SpawnError {
        @Override
        public String message() {
            return "setting up the child failed at step " + step.label()
                    + (detail.isEmpty() ? "" : " (" + detail + ")") + ": " + errorText(errno);
        }
    }

    /** Everything was ready, but execve of {@code path} failed: a missing or bad program. */
    record ExecFailure(String path, int errno) implements SpawnError {
        @Override
        public String message() {
            return "executing `" + path + "': " + errorText(errno);
        }
    }

    /** The spawner exited or the link broke; pending spawns and running children are lost with it. */
    record SpawnerGone(String reason) implements SpawnError {
        @Override
        public String message() {
            return "the spawner is gone: " + reason;
        }
    }

    private static String errorText(int errno) {
        return loomd.posix.PosixException.describe(errno);
    }
}
