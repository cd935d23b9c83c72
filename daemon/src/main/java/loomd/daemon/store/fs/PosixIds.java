package loomd.daemon.store.fs;

import loomd.posix.Processes;

/** The daemon's effective uid and gid (what canonical store items are owned by). */
public record PosixIds(int euid, int egid) {
    private static final PosixIds SELF = new PosixIds(Processes.geteuid(), Processes.getegid());

    public static PosixIds self() {
        return SELF;
    }
}
