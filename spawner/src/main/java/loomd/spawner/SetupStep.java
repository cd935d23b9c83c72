package loomd.spawner;

/** The steps between clone and exec, in the order the spawner runs them (codes match enum step in spawner.h). */
public enum SetupStep {
    CLONE, ID_MAP, WAIT_PARENT, SESSION, FDS, LOOPBACK, HOSTNAME, MOUNT_PRIVATE, BIND_ROOT, BIND,
    REMOUNT_READONLY, MKDIR, DEV, PROC, DEVPTS, DEVSHM, PIVOT_ROOT, CHDIR, RLIMIT, SETGROUPS, SETGID,
    SETUID, PDEATHSIG, EXEC, ANNOUNCE, CAPABILITIES, CHMOD_ROOT, LOCK_MOUNTS, PERSONALITY, KILL_USER;

    /** The wire code (1-based). */
    int code() {
        return ordinal() + 1;
    }

    static SetupStep ofCode(int code) {
        SetupStep[] all = values();
        if (code < 1 || code > all.length) {
            throw new IllegalArgumentException("unknown setup step code " + code);
        }
        return all[code - 1];
    }

    /** A lower-case name for messages, e.g. {@code remount-readonly}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
