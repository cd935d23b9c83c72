package loomd.daemon.store.fs;

import loomd.posix.Processes;

/** The daemon's effective uid and gid (what canonical store items are owned by). */
public record PosixIds(int euid, int egid) {
    public static PosixIds self() {
        return Self.IDS;
    }

    /** Asked once, at the first {@link #self}: not while the store opens. */
    private static final class Self {
        static final PosixIds IDS = new PosixIds(Processes.geteuid(), Processes.getegid());
    }
}
