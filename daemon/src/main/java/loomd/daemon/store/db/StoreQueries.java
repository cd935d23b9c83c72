package loomd.daemon.store.db;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import loomd.protocol.wire.Utf8Order;
import loomd.daemon.store.StoreException;

/**
 * The SQL upstream's {@code LocalStore} runs (formats.md §7.5), one static method per use. Every
 * method takes the {@link Db} it runs on: a read connection or the writer inside a transaction.
 */
public final class StoreQueries {
    static final String QUERY_PATH_INFO =
            "select id, hash, registrationTime, deriver, narSize from ValidPaths where path = ?;";
    static final String QUERY_REFERENCES =
            "select path from Refs join ValidPaths on reference = id where referrer = ?;";
    static final String QUERY_REFERRERS = "select path from Refs join ValidPaths on referrer = id"
            + " where reference = (select id from ValidPaths where path = ?);";
    static final String REGISTER_VALID_PATH =
            "insert into ValidPaths (path, hash, registrationTime, deriver, narSize) values (?, ?, ?, ?, ?);";
    static final String UPDATE_PATH_INFO = "update ValidPaths set narSize = ?, hash = ? where path = ?;";
    static final String ADD_REFERENCE = "insert or replace into Refs (referrer, reference) values (?, ?);";
    static final String ADD_DERIVATION_OUTPUT =
            "insert or replace into DerivationOutputs (drv, id, path) values (?, ?, ?);";
    static final String QUERY_VALID_DERIVERS = "select v.id, v.path from DerivationOutputs d"
            + " join ValidPaths v on d.drv = v.id where d.path = ?;";
    static final String QUERY_DERIVATION_OUTPUTS = "select id, path from DerivationOutputs where drv = ?;";
    static final String QUERY_PATH_FROM_HASH_PART = "select path from ValidPaths where path >= ? limit 1;";
    static final String QUERY_VALID_PATHS = "select path from ValidPaths";
    static final String QUERY_HIGHEST_ID = "select seq from sqlite_sequence where name = 'ValidPaths';";
    static final String QUERY_ROWS_AFTER = "select id, path, hash, registrationTime, deriver, narSize"
            + " from ValidPaths where id > ? order by id;";
    static final String QUERY_REFERRER_ROWS = "select v.id, v.path from Refs r join ValidPaths v on r.referrer = v.id"
            + " where r.reference = ? and r.referrer != r.reference;";
    static final String DELETE_REFS_TO = "delete from Refs where reference = ?;";
    static final String DELETE_PATH_ID = "delete from ValidPaths where id = ?;";
    static final String INVALIDATE_PATH = "delete from ValidPaths where path = ?;";
    static final String INVALIDATE_ROW = "delete from ValidPaths where id = ?;";
    static final String REGISTER_FAILED_PATH = "insert or ignore into FailedPaths (path, time) values (?, ?);";
    static final String HAS_PATH_FAILED = "select time from FailedPaths where path = ?;";
    static final String QUERY_FAILED_PATHS = "select path from FailedPaths;";
    static final String CLEAR_FAILED_PATH = "delete from FailedPaths where ?1 = '*' or path = ?1"
            + " or path in (select d.path from DerivationOutputs d join ValidPaths v on d.drv = v.id"
            + " where v.path = ?1);";

    /** Checks a {@code .drv} being registered, inside the transaction, after its references. */
    @FunctionalInterface
    public interface DerivationCheck {
        void check(Registration registration);
    }

    private StoreQueries() {}

    public static boolean isValid(Db db, String path) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_PATH_INFO);
        ps.setString(1, path);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    public static Optional<PathRow> pathInfo(Db db, String path) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_PATH_INFO);
        ps.setString(1, path);
        long id;
        String hash;
        long time;
        String deriver;
        long narSize;
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) return Optional.empty();
            id = rs.getLong(1);
            hash = rs.getString(2);
            time = rs.getLong(3);
            deriver = rs.getString(4);
            narSize = rs.getLong(5);
        }
        return Optional.of(new PathRow(id, path, hash, time, deriver == null ? "" : deriver, narSize,
                references(db, id)));
    }

    private static SortedSet<String> references(Db db, long id) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_REFERENCES);
        ps.setLong(1, id);
        return strings(ps, 1);
    }

    public static SortedSet<String> referrers(Db db, String path) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_REFERRERS);
        ps.setString(1, path);
        return strings(ps, 1);
    }

    public static SortedSet<String> validDerivers(Db db, String path) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_VALID_DERIVERS);
        ps.setString(1, path);
        return strings(ps, 2);
    }

    /** Output name to output path of a valid {@code .drv}; "not valid" (typographic) otherwise. */
    public static SortedMap<String, String> derivationOutputs(Db db, String drvPath) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_DERIVATION_OUTPUTS);
        ps.setLong(1, validPathId(db, drvPath));
        SortedMap<String, String> out = new TreeMap<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) out.put(rs.getString(1), rs.getString(2));
        }
        return out;
    }

    /** The first valid path in byte order at or after {@code prefix}, if it starts with it; else "". */
    public static String pathFromHashPart(Db db, String prefix) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_PATH_FROM_HASH_PART);
        ps.setString(1, prefix);
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) return "";
            String s = rs.getString(1);
            return s != null && s.startsWith(prefix) ? s : "";
        }
    }

    public static SortedSet<String> allValidPaths(Db db) throws SQLException {
        return strings(db.stmt(QUERY_VALID_PATHS), 1);
    }

    public static SortedSet<String> failedPaths(Db db) throws SQLException {
        return strings(db.stmt(QUERY_FAILED_PATHS), 1);
    }

    public static boolean hasPathFailed(Db db, String path) throws SQLException {
        PreparedStatement ps = db.stmt(HAS_PATH_FAILED);
        ps.setString(1, path);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    public static Void registerFailedPath(Db db, String path, long time) throws SQLException {
        PreparedStatement ps = db.stmt(REGISTER_FAILED_PATH);
        ps.setString(1, path);
        ps.setLong(2, time);
        ps.executeUpdate();
        return null;
    }

    public static Void clearFailedPaths(Db db, Collection<String> paths) throws SQLException {
        for (String path : paths) {
            PreparedStatement ps = db.stmt(CLEAR_FAILED_PATH);
            ps.setString(1, path);
            ps.executeUpdate();
        }
        return null;
    }

    /**
     * Upstream's invalidatePathChecked body (run in a write transaction): a valid path with
     * referrers other than itself is refused, otherwise its row goes (cascading to its Refs and
     * DerivationOutputs rows).
     */
    public static Void invalidateChecked(Db db, String path) throws SQLException {
        if (!isValid(db, path)) return null;
        SortedSet<String> referrers = referrers(db, path);
        referrers.remove(path);
        if (!referrers.isEmpty()) {
            StringBuilder shown = new StringBuilder();
            for (String r : referrers) shown.append(shown.isEmpty() ? "" : ", ").append('`').append(r).append('\'');
            throw new StoreException("cannot delete path `" + path + "' because it is in use by " + shown);
        }
        return invalidate(db, path);
    }

    /** Deletes a path's row (GC); the caller has checked that it has no other referrers. */
    public static Void invalidate(Db db, String path) throws SQLException {
        PreparedStatement ps = db.stmt(INVALIDATE_PATH);
        ps.setString(1, path);
        ps.executeUpdate();
        return null;
    }

    /** What {@link #invalidateUnreferenced} did. */
    public enum RowOutcome { INVALIDATED, GONE, REFERENCED }

    /**
     * Deletes row {@code rowId} unless another row refers to it: one statement, the schema's
     * {@code on delete restrict} doing the referrer check (the collector's per-path re-check, §7.5,
     * without a query per path). GONE: no such row (the path was invalidated, or registered anew
     * under a new id, since the caller read the id).
     */
    public static RowOutcome invalidateUnreferenced(Db db, long rowId) throws SQLException {
        PreparedStatement ps = db.stmt(INVALIDATE_ROW);
        ps.setLong(1, rowId);
        try {
            return ps.executeUpdate() == 0 ? RowOutcome.GONE : RowOutcome.INVALIDATED;
        } catch (org.sqlite.SQLiteException e) {
            // SQLite aborts only the failing statement; the transaction goes on.
            if (String.valueOf(e.getMessage()).contains("FOREIGN KEY constraint failed")) return RowOutcome.REFERENCED;
            throw e;
        }
    }

    /**
     * Upstream's {@code registerValidPaths} body (run inside the writer's transaction): insert or
     * update each path, add every reference edge (each must be valid), check each {@code .drv},
     * then refuse a reference cycle within the batch. Returns the highest row id of the batch (what
     * a durable checkpoint must reach before the batch is durable).
     */
    public static long register(Db db, List<Registration> batch, DerivationCheck drvCheck, long now)
            throws SQLException {
        // Row ids of the batch, looked up (or inserted) once: references within the batch reuse them.
        Map<String, Long> ids = new HashMap<>();
        for (Registration r : batch) {
            Optional<Long> existing = pathId(db, r.path());
            if (existing.isPresent()) updatePathInfo(db, r);
            ids.put(r.path(), existing.isPresent() ? existing.get() : addValidPath(db, r, now));
        }
        for (Registration r : batch) {
            long referrer = ids.get(r.path());
            for (String ref : r.references()) {
                Long known = ids.get(ref);
                PreparedStatement ps = db.stmt(ADD_REFERENCE);
                ps.setLong(1, referrer);
                ps.setLong(2, known != null ? known : validPathId(db, ref));
                ps.executeUpdate();
            }
        }
        for (Registration r : batch) {
            if (r.path().endsWith(".drv")) drvCheck.check(r);
        }
        checkNoCycle(batch, ids.keySet());
        return ids.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /**
     * The highest {@code ValidPaths} id ever committed (AUTOINCREMENT's counter, so ids never go
     * back even after deletions); 0 for a store that never had a row.
     */
    public static long highestId(Db db) throws SQLException {
        try (ResultSet rs = db.stmt(QUERY_HIGHEST_ID).executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** The rows with an id above {@code id}, oldest first, without their references. */
    public static List<PathRow> rowsAfter(Db db, long id) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_ROWS_AFTER);
        ps.setLong(1, id);
        List<PathRow> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String deriver = rs.getString(5);
                out.add(new PathRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                        deriver == null ? "" : deriver, rs.getLong(6), new TreeSet<>()));
            }
        }
        return out;
    }

    /** The row ids of those of {@code paths} that are valid. */
    public static Map<String, Long> validIds(Db db, Collection<String> paths) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        for (String p : paths) pathId(db, p).ifPresent(id -> out.put(p, id));
        return out;
    }

    /**
     * Invalidates {@code damaged} (paths whose contents are lost) and, transitively, every path
     * referring to one of them, whatever else refers to it: a valid path's closure must be valid.
     * Returns each invalidated path with the path that made it go: itself for a damaged one, else
     * the reference it was found through.
     */
    public static SortedMap<String, String> invalidateWithReferrers(Db db, Collection<String> damaged)
            throws SQLException {
        Map<Long, String> closure = new LinkedHashMap<>();
        SortedMap<String, String> why = new TreeMap<>();
        Deque<Long> todo = new ArrayDeque<>();
        for (String p : damaged) {
            Optional<Long> id = pathId(db, p);
            if (id.isPresent() && closure.putIfAbsent(id.get(), p) == null) {
                why.put(p, p);
                todo.add(id.get());
            }
        }
        while (!todo.isEmpty()) {
            long reference = todo.poll();
            PreparedStatement ps = db.stmt(QUERY_REFERRER_ROWS);
            ps.setLong(1, reference);
            Map<Long, String> found = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) found.put(rs.getLong(1), rs.getString(2));
            }
            for (var e : found.entrySet()) {
                if (closure.putIfAbsent(e.getKey(), e.getValue()) != null) continue;
                why.put(e.getValue(), closure.get(reference));
                todo.add(e.getKey());
            }
        }
        // Every referrer of the set is in the set: drop the edges into it first, so that no
        // "on delete restrict" stands in the way whatever the order of the deletions.
        for (long id : closure.keySet()) {
            PreparedStatement refs = db.stmt(DELETE_REFS_TO);
            refs.setLong(1, id);
            refs.executeUpdate();
        }
        for (long id : closure.keySet()) {
            PreparedStatement row = db.stmt(DELETE_PATH_ID);
            row.setLong(1, id);
            row.executeUpdate();
        }
        return why;
    }

    /** Inserts the row (and a {@code .drv}'s output rows); returns its id. */
    private static long addValidPath(Db db, Registration r, long now) throws SQLException {
        PreparedStatement ps = db.stmt(REGISTER_VALID_PATH);
        ps.setString(1, r.path());
        ps.setString(2, "sha256:" + r.narHashBase16());
        ps.setLong(3, r.registrationTime() == 0 ? now : r.registrationTime());
        if (r.deriver().isEmpty()) ps.setNull(4, Types.VARCHAR);
        else ps.setString(4, r.deriver());
        if (r.narSize() == 0) ps.setNull(5, Types.INTEGER);
        else ps.setLong(5, r.narSize());
        ps.executeUpdate();
        long id = validPathId(db, r.path());
        for (Map.Entry<String, String> out : r.derivationOutputs().entrySet()) {
            PreparedStatement po = db.stmt(ADD_DERIVATION_OUTPUT);
            po.setLong(1, id);
            po.setString(2, out.getKey());
            po.setString(3, out.getValue());
            po.executeUpdate();
        }
        return id;
    }

    private static void updatePathInfo(Db db, Registration r) throws SQLException {
        PreparedStatement ps = db.stmt(UPDATE_PATH_INFO);
        if (r.narSize() == 0) ps.setNull(1, Types.INTEGER);
        else ps.setLong(1, r.narSize());
        ps.setString(2, "sha256:" + r.narHashBase16());
        ps.setString(3, r.path());
        ps.executeUpdate();
    }

    /** Sets a valid path's NAR hash ({@code sha256:<base16>}) and size: verification filling in old rows. */
    public static Void updateHashAndSize(Db db, String path, String narHashBase16, long narSize) throws SQLException {
        PreparedStatement ps = db.stmt(UPDATE_PATH_INFO);
        ps.setLong(1, narSize);
        ps.setString(2, "sha256:" + narHashBase16);
        ps.setString(3, path);
        ps.executeUpdate();
        return null;
    }

    static long validPathId(Db db, String path) throws SQLException {
        return pathId(db, path).orElseThrow(() -> StoreException.notValidId(path));
    }

    private static Optional<Long> pathId(Db db, String path) throws SQLException {
        PreparedStatement ps = db.stmt(QUERY_PATH_INFO);
        ps.setString(1, path);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
        }
    }

    /** Upstream's topoSortPaths over the batch: self-references are ignored, a cycle is an error. */
    private static void checkNoCycle(List<Registration> batch, Set<String> paths) {
        Map<String, Registration> byPath = new HashMap<>();
        for (Registration r : batch) byPath.put(r.path(), r);
        Set<String> done = new HashSet<>();
        for (String start : new TreeSet<>(paths)) {
            if (done.contains(start)) continue;
            Set<String> onStack = new HashSet<>();
            Deque<Object[]> stack = new ArrayDeque<>();
            stack.push(new Object[] {start, byPath.get(start).references().iterator()});
            onStack.add(start);
            while (!stack.isEmpty()) {
                Object[] top = stack.peek();
                String node = (String) top[0];
                @SuppressWarnings("unchecked")
                var it = (java.util.Iterator<String>) top[1];
                if (!it.hasNext()) {
                    stack.pop();
                    onStack.remove(node);
                    done.add(node);
                    continue;
                }
                String next = it.next();
                if (next.equals(node) || !paths.contains(next) || done.contains(next)) continue;
                if (onStack.contains(next)) {
                    throw new StoreException("cycle detected in the references of `" + next + "'");
                }
                onStack.add(next);
                stack.push(new Object[] {next, byPath.get(next).references().iterator()});
            }
        }
    }

    private static SortedSet<String> strings(PreparedStatement ps, int column) throws SQLException {
        // Byte order, as the wire sends path sets: the session need not sort them again.
        SortedSet<String> out = new TreeSet<>(Utf8Order.COMPARATOR);
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) out.add(rs.getString(column));
        }
        return out;
    }
}
