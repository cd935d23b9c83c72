package loomd.daemon.store.gc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.BitSet;

import loomd.daemon.store.db.Db;

/**
 * A snapshot of the database's path graph for one collection: every valid path as a dense int
 * (its rank by row id), its NAR size, the references in compressed-sparse-row form, and the
 * {@code DerivationOutputs} rows between valid paths. Loaded with three scans in one read
 * transaction; no per-path query and no object per edge. Immutable once loaded (the reverse
 * adjacency is built on first use, by the one collector thread).
 */
final class GcGraph {
    private final String storePrefix;
    private final PathTable paths;
    private final long[] narSize;
    /** The database row id of each dense id (ascending: rows are read in id order). */
    private final long[] rowIds;
    /** references of i: refs[refStart[i] .. refStart[i+1]) (self-references included). */
    private final int[] refStart;
    private final int[] refs;
    /** DerivationOutputs rows whose output is valid: drv -> out, and whether out's deriver is drv. */
    private final int[] outDrv;
    private final int[] outPath;
    private final BitSet deriverMatches;
    private int[] referrerStart;
    private int[] referrers;

    private GcGraph(String storePrefix, PathTable paths, long[] rowIds, long[] narSize, int[] refStart, int[] refs, int[] outDrv,
                    int[] outPath, BitSet deriverMatches) {
        this.storePrefix = storePrefix;
        this.paths = paths;
        this.rowIds = rowIds;
        this.narSize = narSize;
        this.refStart = refStart;
        this.refs = refs;
        this.outDrv = outDrv;
        this.outPath = outPath;
        this.deriverMatches = deriverMatches;
    }

    /** Reads the graph with {@code db} (a read connection) in one read transaction. */
    static GcGraph load(Db db, String storeDir) throws SQLException {
        db.exec("begin;");
        try {
            return read(db, storeDir + "/");
        } finally {
            db.exec("commit;");
        }
    }

    private static GcGraph read(Db db, String prefix) throws SQLException {
        PathTable paths = new PathTable();
        LongList ids = new LongList();
        LongList sizes = new LongList();
        try (ResultSet rs = db.stmt("select id, path, narSize from ValidPaths order by id;").executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
                String path = rs.getString(2);
                paths.add(path.startsWith(prefix) ? path.substring(prefix.length()) : path);
                sizes.add(rs.getLong(3));
            }
        }
        paths.seal();
        long[] rowIds = ids.toArray();
        IdMap idMap = new IdMap(rowIds);
        int n = paths.size();
        int[] refStart = new int[n + 1];
        IntList refs = new IntList();
        try (ResultSet rs = db.stmt("select referrer, reference from Refs order by referrer;").executeQuery()) {
            int current = 0;
            while (rs.next()) {
                int referrer = idMap.dense(rs.getLong(1));
                int reference = idMap.dense(rs.getLong(2));
                if (referrer < 0 || reference < 0) continue;
                while (current < referrer) refStart[++current] = refs.size();
                refs.add(reference);
            }
            while (current < n) refStart[++current] = refs.size();
        }
        IntList drvs = new IntList();
        IntList outs = new IntList();
        BitSet matches = new BitSet();
        PreparedStatement ps = db.stmt("select d.drv, v.id, v.deriver = w.path from DerivationOutputs d"
                + " join ValidPaths v on v.path = d.path join ValidPaths w on w.id = d.drv;");
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                int drv = idMap.dense(rs.getLong(1));
                int out = idMap.dense(rs.getLong(2));
                if (drv < 0 || out < 0) continue;
                if (rs.getInt(3) == 1) matches.set(drvs.size());
                drvs.add(drv);
                outs.add(out);
            }
        }
        return new GcGraph(prefix, paths, rowIds, sizes.toArray(), refStart, refs.toArray(), drvs.toArray(), outs.toArray(),
                matches);
    }

    int size() {
        return paths.size();
    }

    /** The store path of {@code id}. */
    String path(int id) {
        String name = paths.name(id);
        return name.startsWith("/") ? name : storePrefix + name;
    }

    /** The id of a valid (at the snapshot) store path, or -1. */
    int find(String path) {
        if (!path.startsWith(storePrefix)) return paths.find(path);
        return paths.find(path.substring(storePrefix.length()));
    }

    /** The row id {@code id} had in {@code ValidPaths} at the snapshot. */
    long rowId(int id) {
        return rowIds[id];
    }

    long narSize(int id) {
        return narSize[id];
    }

    /**
     * Everything live: the closure of {@code roots} over references, plus output-to-deriver edges
     * when {@code keepDerivations} (the output's recorded deriver is that derivation) and
     * derivation-to-output edges when {@code keepOutputs} (daemon.md §7.4). One pass.
     */
    BitSet mark(int[] roots, boolean keepDerivations, boolean keepOutputs) {
        int n = size();
        int[][] extra = extraEdges(keepDerivations, keepOutputs);
        BitSet live = new BitSet(n);
        int[] queue = new int[Math.max(1, n)];
        int head = 0;
        int tail = 0;
        for (int r : roots) {
            if (r >= 0 && !live.get(r)) {
                live.set(r);
                queue[tail++] = r;
            }
        }
        while (head < tail) {
            int p = queue[head++];
            for (int e = refStart[p]; e < refStart[p + 1]; e++) {
                int q = refs[e];
                if (!live.get(q)) {
                    live.set(q);
                    queue[tail++] = q;
                }
            }
            if (extra == null) continue;
            for (int e = extra[0][p]; e < extra[0][p + 1]; e++) {
                int q = extra[1][e];
                if (!live.get(q)) {
                    live.set(q);
                    queue[tail++] = q;
                }
            }
        }
        return live;
    }

    /** The keep-derivations/keep-outputs edges as CSR (start, targets), or null if none apply. */
    private int[][] extraEdges(boolean keepDerivations, boolean keepOutputs) {
        if (!keepDerivations && !keepOutputs) return null;
        int n = size();
        int[] start = new int[n + 2];
        for (int i = 0; i < outDrv.length; i++) {
            if (keepDerivations && deriverMatches.get(i)) start[outPath[i] + 2]++;
            if (keepOutputs) start[outDrv[i] + 2]++;
        }
        for (int i = 2; i < start.length; i++) start[i] += start[i - 1];
        int[] targets = new int[start[n + 1]];
        for (int i = 0; i < outDrv.length; i++) {
            if (keepDerivations && deriverMatches.get(i)) targets[start[outPath[i] + 1]++] = outDrv[i];
            if (keepOutputs) targets[start[outDrv[i] + 1]++] = outPath[i];
        }
        return new int[][] {Arrays.copyOf(start, n + 1), targets};
    }

    /** The referrers of {@code id} other than itself, through the reverse adjacency. */
    int[] referrers(int id) {
        if (referrers == null) buildReverse();
        int from = referrerStart[id];
        int to = referrerStart[id + 1];
        int[] out = new int[to - from];
        int k = 0;
        for (int e = from; e < to; e++) {
            if (referrers[e] != id) out[k++] = referrers[e];
        }
        return k == out.length ? out : Arrays.copyOf(out, k);
    }

    private void buildReverse() {
        int n = size();
        int[] start = new int[n + 2];
        for (int reference : refs) start[reference + 2]++;
        for (int i = 2; i < start.length; i++) start[i] += start[i - 1];
        int[] back = new int[refs.length];
        for (int p = 0; p < n; p++) {
            for (int e = refStart[p]; e < refStart[p + 1]; e++) back[start[refs[e] + 1]++] = p;
        }
        referrerStart = Arrays.copyOf(start, n + 1);
        referrers = back;
    }

    /** Heap held by the loaded graph (arrays only), for the benchmark. */
    long heapBytes() {
        return paths.heapBytes() + 8L * (narSize.length + rowIds.length) + 4L * (refStart.length + refs.length + outDrv.length
                + outPath.length) + deriverMatches.size() / 8;
    }

    /** Database row id to dense id: a direct table when ids are dense enough, else binary search. */
    private static final class IdMap {
        private final long[] sorted;
        private final int[] direct;

        IdMap(long[] sorted) {
            this.sorted = sorted;
            long max = sorted.length == 0 ? 0 : sorted[sorted.length - 1];
            if (max < 4L * sorted.length + 1024) {
                direct = new int[(int) max + 1];
                Arrays.fill(direct, -1);
                for (int i = 0; i < sorted.length; i++) direct[(int) sorted[i]] = i;
            } else {
                direct = null;
            }
        }

        int dense(long id) {
            if (direct != null) return id >= 0 && id < direct.length ? direct[(int) id] : -1;
            int i = Arrays.binarySearch(sorted, id);
            return i >= 0 ? i : -1;
        }
    }

    static final class IntList {
        private int[] a = new int[1024];
        private int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, a.length * 2);
            a[n++] = v;
        }

        int size() {
            return n;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    private static final class LongList {
        private long[] a = new long[1024];
        private int n;

        void add(long v) {
            if (n == a.length) a = Arrays.copyOf(a, a.length * 2);
            a[n++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
