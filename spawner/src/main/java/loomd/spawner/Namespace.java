package loomd.spawner;

/** Linux namespaces a spawned child can get fresh copies of. */
public enum Namespace {
    MOUNT(Wire.F_NEWNS), PID(Wire.F_NEWPID), NET(Wire.F_NEWNET), IPC(Wire.F_NEWIPC), UTS(Wire.F_NEWUTS),
    /** A user namespace; needs an {@link IdMapping} (the unprivileged mode). */
    USER(Wire.F_NEWUSER);

    final int flag;

    Namespace(int flag) {
        this.flag = flag;
    }
}
