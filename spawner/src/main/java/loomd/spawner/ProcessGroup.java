package loomd.spawner;

/** Where the child lives among process groups; kill() hits the whole group unless {@link #SHARED}. */
public enum ProcessGroup {
    /** Stays in the spawner's group: kill() signals the child alone. */
    SHARED,
    /** Its own process group (setpgid). */
    NEW_GROUP,
    /** Its own session and group, no controlling terminal (setsid), as upstream builders. */
    NEW_SESSION
}
