package loomd.daemon.store.gc;

import java.util.SortedSet;

/**
 * The reply of a collection: the live, dead or deleted paths (byte order) and the bytes freed.
 */
public record GcResult(SortedSet<String> paths, long bytesFreed) {}
