package loomd.locker;

/** How the locker opens a lock file given by path. */
public enum LockFileOption {
    /** Fail with ENOENT rather than create a missing file (the GC reading temp-roots files). */
    NO_CREATE,
    /**
     * Upstream's stale-lock check for {@code <path>.lock} files: once locked, a non-empty file was deleted by
     * its previous holder (who wrote "d" into it after unlinking), so close it and open the path again.
     */
    REOPEN_IF_STALE
}
