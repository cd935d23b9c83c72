package loomd.spawner;

/**
 * A bind mount of host path {@code source} at {@code target} inside the new root. The source may be a
 * file or a directory (symlinks followed); the mount point is created as needed.
 */
public record Bind(String source, String target, boolean readOnly) {
    public Bind {
        SpawnRequest.requireAbsolute("bind source", source);
        SpawnRequest.requireAbsolute("bind target", target);
    }
}
