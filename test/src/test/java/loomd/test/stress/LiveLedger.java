package loomd.test.stress;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * When each path was live, as the clients know it: a lease opens once the daemon has answered the
 * request that made the path live (the add or build that gave the session its temp root, the
 * {@code AddIndirectRoot} after the link was made) and closes just before the client ends that
 * (closes the session, removes the link). So a lease is never longer than the path's true life, and a
 * deletion inside one is a collector's fault, never the ledger's. A lease covers the path's closure,
 * through the references the clients were told ({@link #references}).
 */
final class LiveLedger {
    enum Why { SESSION_TEMP_ROOT, INDIRECT_ROOT }

    static final class Lease {
        final String path;
        final Why why;
        final long fromMillis;
        volatile long toMillis = Long.MAX_VALUE;

        Lease(String path, Why why, long fromMillis) {
            this.path = path;
            this.why = why;
            this.fromMillis = fromMillis;
        }

        void close() { toMillis = System.currentTimeMillis(); }
    }

    private final ConcurrentLinkedQueue<Lease> leases = new ConcurrentLinkedQueue<>();
    private final Map<String, List<String>> references = new ConcurrentHashMap<>();

    /** Opens a lease now: call it after the daemon's answer that made {@code path} live. */
    Lease open(String path, Why why) {
        Lease lease = new Lease(path, why, System.currentTimeMillis());
        leases.add(lease);
        return lease;
    }

    /** What the daemon said {@code path} refers to (for the closure a lease covers). */
    void references(String path, Collection<String> refs) {
        references.put(path, List.copyOf(refs));
    }

    int leaseCount() { return leases.size(); }

    /**
     * Each deletion that falls strictly inside a lease of the deleted path or of a path whose closure
     * holds it. Strictly: a deletion in the very millisecond a lease opened may have come before it.
     */
    List<String> violations(List<DeletionLog.Deletion> deletions) {
        Map<String, List<DeletionLog.Deletion>> byPath = new ConcurrentHashMap<>();
        for (DeletionLog.Deletion d : deletions) byPath.computeIfAbsent(d.path(), k -> new ArrayList<>()).add(d);
        List<String> found = new ArrayList<>();
        for (Lease lease : leases) {
            for (String covered : closure(lease.path)) {
                for (DeletionLog.Deletion d : byPath.getOrDefault(covered, List.of())) {
                    if (d.atMillis() > lease.fromMillis && d.atMillis() < lease.toMillis) {
                        found.add("live path deleted: " + covered + " (row " + d.id() + ") at " + d.atMillis()
                                + ", inside a " + lease.why + " lease of " + lease.path + " from " + lease.fromMillis
                                + (lease.toMillis == Long.MAX_VALUE ? " (still open)" : " to " + lease.toMillis));
                    }
                }
            }
        }
        return found;
    }

    private Set<String> closure(String path) {
        Set<String> seen = new HashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(path));
        while (!todo.isEmpty()) {
            String p = todo.pop();
            if (seen.add(p)) todo.addAll(references.getOrDefault(p, List.of()));
        }
        return seen;
    }
}
