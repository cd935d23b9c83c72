package loomd.test.offload;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import loomd.protocol.export.ExportItem;
import loomd.protocol.export.ExportReader;
import loomd.protocol.nar.NarRestorer;
import loomd.protocol.nar.NarResult;
import loomd.protocol.store.StoreDir;
import loomd.protocol.wire.WireLimits;

/**
 * What the real hook's {@code restore-file-set} does with the outputs it retrieves (daemon.md §6.4):
 * each NAR restored under a temporary {@code S/guix-XXXXXX}, canonicalised (0444/0555, mtime 1),
 * renamed into place, then all of them registered in one {@code begin immediate} transaction of
 * {@code ValidPaths} and {@code Refs} rows, without {@code DerivationOutputs} rows and without path
 * locks. An output renamed but not registered is an invalid path the daemon deletes before its next
 * attempt; a registered one is complete.
 */
final class HeadStore {
    private static final FileTime EPOCH_PLUS_ONE = FileTime.fromMillis(1000);

    private final String storeDir;
    private final Path physicalStore;
    private final Path db;

    private HeadStore(String storeDir, Path physicalStore, Path db) {
        this.storeDir = storeDir;
        this.physicalStore = physicalStore;
        this.db = db;
    }

    /** The store of a daemon run with {@code --store-root=root} and the default {@code /gnu/store}. */
    static HeadStore of(Path root) {
        return new HeadStore("/gnu/store", root.resolve("gnu/store"), root.resolve("var/guix/db/db.sqlite"));
    }

    private record Restored(ExportItem item, NarResult nar) {}

    /** Restores and registers every item of the export {@code bundle}; each must be in {@code wanted}. */
    void restore(InputStream bundle, Set<String> wanted) throws IOException, SQLException {
        ExportReader reader = new ExportReader(new BufferedInputStream(bundle), WireLimits.DEFAULT, new StoreDir(storeDir));
        List<Restored> restored = new ArrayList<>();
        while (reader.nextItem()) {
            Path tmp = physicalStore.resolve("guix-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36));
            NarResult[] nar = new NarResult[1];
            ExportItem item = reader.readItem(in -> nar[0] = new NarRestorer().restore(in, tmp).nar());
            if (!wanted.contains(item.path())) {
                throw new IOException("the worker sent `" + item.path() + "', which was not asked for");
            }
            canonicalise(tmp);
            Files.move(tmp, physicalStore.resolve(item.path().substring(storeDir.length() + 1)),
                    StandardCopyOption.ATOMIC_MOVE);
            restored.add(new Restored(item, nar[0]));
        }
        register(restored);
    }

    private static void canonicalise(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    boolean exec = Files.isExecutable(file);
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(exec ? "r-xr-xr-x" : "r--r--r--"));
                }
                times(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
                times(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void times(Path p) throws IOException {
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(EPOCH_PLUS_ONE, EPOCH_PLUS_ONE, null);
    }

    private void register(List<Restored> items) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            try (Statement s = c.createStatement()) {
                s.execute("pragma busy_timeout = 30000");
                s.execute("begin immediate");
            }
            long now = System.currentTimeMillis() / 1000;
            for (Restored r : items) {
                try (PreparedStatement p = c.prepareStatement(
                        "insert into ValidPaths (path, hash, registrationTime, deriver, narSize) values (?, ?, ?, ?, ?)")) {
                    p.setString(1, r.item().path());
                    p.setString(2, "sha256:" + r.nar().narHash().toBase16());
                    p.setLong(3, now);
                    p.setString(4, r.item().deriver().isEmpty() ? null : r.item().deriver());
                    p.setLong(5, r.nar().narSize());
                    p.executeUpdate();
                }
            }
            for (Restored r : items) {
                for (String ref : r.item().references()) {
                    try (PreparedStatement p = c.prepareStatement("insert or replace into Refs (referrer, reference) "
                            + "values ((select id from ValidPaths where path = ?), (select id from ValidPaths where path = ?))")) {
                        p.setString(1, r.item().path());
                        p.setString(2, ref);
                        p.executeUpdate();
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("commit");
            }
        }
    }

    /** For tests: whether {@code path} has a {@code ValidPaths} row, read straight from the database. */
    boolean registered(String path) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             PreparedStatement p = c.prepareStatement("select 1 from ValidPaths where path = ?")) {
            p.setString(1, path);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next();
            }
        }
    }
}
