package loomd.daemon.session;

/**
 * Who is at the other end of a connection (daemon.md §3.2).
 *
 * @param pid the client's pid from SO_PEERCRED, or -1 (TCP)
 * @param uid the client's uid, or -1 when unknown (TCP)
 * @param gid the client's gid, or -1 when unknown (TCP)
 * @param remote a TCP connection: never trusted, no garbage collection, keep-failed forced off
 * @param description for the log: {@code pid N, user NAME} or the remote address
 */
public record Peer(int pid, int uid, int gid, boolean remote, String description) {

    /** Upstream's rule: trusted iff the peer uid is 0; a TCP peer never is. */
    public boolean trusted() {
        return !remote && uid == 0;
    }

    public boolean uidKnown() {
        return !remote && uid >= 0;
    }

    public static Peer local(int pid, int uid, int gid, String userName) {
        return new Peer(pid, uid, gid, false, "pid " + pid + ", user " + userName);
    }

    public static Peer remote(String address) {
        return new Peer(-1, -1, -1, true, address);
    }
}
