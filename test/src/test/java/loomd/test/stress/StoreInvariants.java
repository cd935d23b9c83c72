package loomd.test.stress;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import loomd.protocol.nar.NarWriter;

/**
 * The campaign's own judge of a store: reads {@code db.sqlite} with its own read-only connection and
 * the store directory with plain file calls, never through the daemon, so a daemon bug cannot hide
 * itself. Each check returns the violations it found as readable lines; an empty list is a pass.
 *
 * <p>Between the daemon's registration and the checker's read, the daemon may be adding or deleting;
 * the checker therefore runs only while no client works (after a fault, once the load is paused, and
 * at the end), and reads the database in one read transaction.
 */
final class StoreInvariants {
    /** Store-directory entries that are never registered paths. */
    private static final List<String> OWN_ENTRIES = List.of(".links", "trash");

    private final Path dbFile;
    private final Path physicalStore;
    private final String storeDir;

    StoreInvariants(Path dbFile, Path physicalStore, String storeDir) {
        this.dbFile = dbFile;
        this.physicalStore = physicalStore;
        this.storeDir = storeDir;
    }

    /** One consistent reading of {@code ValidPaths} and {@code Refs}. */
    record Snapshot(Map<String, String> narHashes, Map<String, List<String>> references) {}

    Snapshot read() throws SQLException {
        Map<String, String> hashes = new HashMap<>();
        Map<Long, String> byId = new HashMap<>();
        Map<String, List<String>> refs = new HashMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + dbFile + "?mode=ro");
             Statement s = c.createStatement()) {
            s.execute("pragma busy_timeout = 30000");
            c.setAutoCommit(false);
            try (ResultSet r = s.executeQuery("select id, path, hash from ValidPaths")) {
                while (r.next()) {
                    byId.put(r.getLong(1), r.getString(2));
                    hashes.put(r.getString(2), r.getString(3));
                }
            }
            try (ResultSet r = s.executeQuery("select referrer, reference from Refs")) {
                while (r.next()) {
                    String referrer = byId.get(r.getLong(1));
                    String reference = byId.getOrDefault(r.getLong(2), "<missing id " + r.getLong(2) + ">");
                    refs.computeIfAbsent(referrer, k -> new ArrayList<>()).add(reference);
                }
            }
            c.commit();
        }
        return new Snapshot(hashes, refs);
    }

    /**
     * Everything the campaign promises of a quiet store: {@code acknowledged} (path to the
     * {@code sha256:HEX} NAR hash its client was told) all valid with that hash; each valid path has
     * contents hashing to its registered hash; each reference valid; no unregistered entry except
     * the daemon's own directories, lock files and temporaries.
     */
    List<String> check(Map<String, String> acknowledged, boolean hashEveryPath) throws SQLException, IOException {
        Snapshot db = read();
        List<String> violations = new ArrayList<>();
        acknowledged.forEach((path, hash) -> {
            String registered = db.narHashes().get(path);
            if (registered == null) violations.add("acknowledged but not valid: " + path);
            else if (!registered.equals(hash)) violations.add("acknowledged as " + hash + ", registered as " + registered + ": " + path);
        });
        for (Map.Entry<String, String> e : db.narHashes().entrySet()) {
            Path contents = physical(e.getKey());
            if (!Files.exists(contents, LinkOption.NOFOLLOW_LINKS)) {
                violations.add("valid without contents: " + e.getKey());
            } else if (hashEveryPath || acknowledged.containsKey(e.getKey())) {
                String onDisk = "sha256:" + NarWriter.hash(contents).narHash().toBase16();
                if (!onDisk.equals(e.getValue())) violations.add("contents hash " + onDisk + " but registered " + e.getValue() + ": " + e.getKey());
            }
        }
        db.references().forEach((referrer, refs) -> refs.stream()
                .filter(r -> !db.narHashes().containsKey(r))
                .forEach(r -> violations.add("valid " + referrer + " refers to invalid " + r)));
        for (String entry : unregisteredEntries(db)) violations.add("contents without registration: " + entry);
        return violations;
    }

    /** Entries of the store directory that are neither valid paths nor the daemon's own files. */
    List<String> unregisteredEntries(Snapshot db) throws IOException {
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(physicalStore)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (OWN_ENTRIES.contains(name) || name.endsWith(".lock") || name.endsWith(".chroot")
                        || name.endsWith(".check") || name.startsWith(".loomd-tmp-")) {
                    continue;
                }
                if (!db.narHashes().containsKey(storeDir + "/" + name)) found.add(storeDir + "/" + name);
            }
        }
        return found;
    }

    /** Leftovers of finished work: container directories and lock files nobody holds. */
    List<String> leftovers() throws IOException {
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(physicalStore, "*.chroot")) {
            entries.forEach(p -> found.add("container left behind: " + p.getFileName()));
        }
        return found;
    }

    private Path physical(String storePath) {
        return physicalStore.resolve(storePath.substring(storeDir.length() + 1));
    }
}
