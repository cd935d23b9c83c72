package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Whom a builder runs as (daemon.md §4.5, §4.8 "Identity inside"). */
public sealed interface BuildIdentity permits BuildIdentity.BuildUser, BuildIdentity.Guest {
    int GUEST_UID = 30001;
    int GUEST_GID = 30000;

    /** The uid the builder sees, as {@code /etc/passwd} in the chroot names it. */
    int uidInside();

    /** The gid the builder sees, as {@code /etc/group} in the chroot names it. */
    int gidInside();

    /**
     * A member of {@code --build-users-group} (root daemon only): host uid, the build <em>group's</em>
     * gid, and the user's supplementary groups. No user namespace: the ids are the host's.
     */
    record BuildUser(int uid, int gid, List<Integer> groups) implements BuildIdentity {
        public BuildUser {
            groups = List.copyOf(groups);
            if (uid <= 0 || gid <= 0) {
                throw new IllegalArgumentException("a build user is never root: " + uid + ":" + gid);
            }
        }

        @Override
        public int uidInside() {
            return uid;
        }

        @Override
        public int gidInside() {
            return gid;
        }
    }

    /**
     * No build users (or an unprivileged daemon): a user namespace maps 30001/30000 inside to the
     * daemon's own ids outside, root's for a root daemon.
     */
    record Guest(int daemonUid, int daemonGid) implements BuildIdentity {
        public Guest {
            if (daemonUid < 0 || daemonGid < 0) {
                throw new IllegalArgumentException("ids must be non-negative");
            }
        }

        /** The daemon's effective ids, read from the owner of {@code /proc/self} (no native call). */
        public static Guest ofThisProcess() throws IOException {
            Path self = Path.of("/proc/self");
            return new Guest((Integer) Files.getAttribute(self, "unix:uid"), (Integer) Files.getAttribute(self, "unix:gid"));
        }

        @Override
        public int uidInside() {
            return GUEST_UID;
        }

        @Override
        public int gidInside() {
            return GUEST_GID;
        }
    }
}
