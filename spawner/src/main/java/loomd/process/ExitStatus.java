package loomd.process;

/** How a child ended: its own exit code, a terminating signal, or a limit that made us kill it. */
public sealed interface ExitStatus permits ExitStatus.Exited, ExitStatus.Signaled, ExitStatus.TimedOut {

    /** True only for a normal exit with code 0. */
    default boolean success() {
        return this instanceof Exited(int code) && code == 0;
    }

    /** The child called exit(code). */
    record Exited(int code) implements ExitStatus {
        public Exited {
            if (code < 0 || code > 255) {
                throw new IllegalArgumentException("exit code out of range: " + code);
            }
        }
    }

    /** The child was terminated by {@code signal}. */
    record Signaled(int signal, boolean coreDumped) implements ExitStatus {}

    /** A time limit fired and the process group was killed; {@code status} is what the kill produced. */
    record TimedOut(TimeLimit limit, ExitStatus status) implements ExitStatus {}

    /** Decodes a raw wait(2) status as the spawner reports it. */
    static ExitStatus fromWaitStatus(int status) {
        int signal = status & 0x7f;
        if (signal == 0) {
            return new Exited((status >> 8) & 0xff);
        }
        return new Signaled(signal, (status & 0x80) != 0);
    }
}
