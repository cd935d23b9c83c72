package loomd.spawner;

/**
 * The one-line uid and gid maps of a user namespace: {@code insideUid} inside is {@code outsideUid}
 * outside, the same for gids (upstream: 30001/30000 inside, the daemon's ids outside). setgroups is
 * denied in the namespace, as the kernel demands for an unprivileged writer.
 */
public record IdMapping(int insideUid, int outsideUid, int insideGid, int outsideGid) {
    public IdMapping {
        if (insideUid < 0 || outsideUid < 0 || insideGid < 0 || outsideGid < 0) {
            throw new IllegalArgumentException("ids must be non-negative");
        }
    }
}
