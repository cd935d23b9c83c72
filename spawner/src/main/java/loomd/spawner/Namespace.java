package loomd.spawner;

/** Linux namespaces a spawned child can get fresh copies of. */
public enum Namespace {
    MOUNT(1), PID(1 << 1), NET(1 << 2), IPC(1 << 3), UTS(1 << 4),
    /** A user namespace; needs an {@link IdMapping} (the unprivileged mode). */
    USER(1 << 5);

    final int flag;

    Namespace(int flag) {
        this.flag = flag;
    }
}
