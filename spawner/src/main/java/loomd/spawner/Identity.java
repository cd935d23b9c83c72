package loomd.spawner;

import java.util.List;

/** The uid, gid and supplementary groups the child switches to before exec (a build user). */
public record Identity(int uid, int gid, List<Integer> groups) {
    public Identity {
        groups = List.copyOf(groups);
        if (uid < 0 || gid < 0 || groups.stream().anyMatch(g -> g < 0)) {
            throw new IllegalArgumentException("ids must be non-negative");
        }
    }
}
