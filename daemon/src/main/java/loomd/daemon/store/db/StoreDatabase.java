package loomd.daemon.store.db;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import loomd.daemon.store.StoreException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * The store database ({@code <db>/db.sqlite}) with upstream's schema, schema file and pragmas.
 *
 * <p>Threads: one writer connection owned by a dedicated platform thread ({@link #write}); every
 * write is an explicit {@code BEGIN IMMEDIATE … COMMIT} with autoCommit on (the sqlite-jdbc
 * commit trap), and only that connection has a busy timeout (1 h, as upstream), so a busy wait
 * never pins a carrier. Point reads ({@link #read}) borrow one of a few read connections and
 * run on the caller's (virtual) thread; they have no busy timeout and retry with a sleep, for at
 * most {@link Settings#readBusyLimit}. Long scans ({@link #scan}) run on a platform executor.
 * Commits of other processes are noticed as the package documentation says ({@link #cacheMayAnswer}).
 */
public final class StoreDatabase implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StoreDatabase.class.getName());
    private static final int WRITER_BUSY_TIMEOUT_MS = 60 * 60 * 1000;

    /**
     * How to open the database; the defaults are upstream's ({@code fsync-metadata}, WAL).
     *
     * @param readBusyLimit how long a read retries while another process keeps the database locked
     * @param cacheTrust how long after a check for foreign commits the callers' caches may answer
     */
    public record Settings(Path dbDir, boolean fsyncMetadata, boolean useWal, int readConnections,
                           Duration readBusyLimit, Duration cacheTrust) {
        public static final Duration READ_BUSY_LIMIT = Duration.ofSeconds(60);
        public static final Duration CACHE_TRUST = Duration.ofMillis(100);

        public Settings {
            if (readConnections < 1) throw new IllegalArgumentException("readConnections < 1");
            if (readBusyLimit.isNegative() || cacheTrust.isNegative()) throw new IllegalArgumentException("negative");
        }

        public static Settings defaults(Path dbDir) {
            return new Settings(dbDir, true, true, 4, READ_BUSY_LIMIT, CACHE_TRUST);
        }

        public Settings withUseWal(boolean wal) {
            return new Settings(dbDir, fsyncMetadata, wal, readConnections, readBusyLimit, cacheTrust);
        }

        public Settings withReadBusyLimit(Duration limit) {
            return new Settings(dbDir, fsyncMetadata, useWal, readConnections, limit, cacheTrust);
        }
    }

    private final Db writer;
    private final GroupWriter writerThread;
    private final ExecutorService scanThreads;
    private final Path dbFile;
    private final int maxReaders;
    /** Idle read connections; more are opened on demand, up to {@link #maxReaders}. */
    private final BlockingQueue<Db> readers;
    /** Every read connection opened (guarded by itself). */
    private final List<Db> allReaders;
    private final BusyRetry busy;
    private final Duration readBusyLimit;
    private final ForeignCommits foreign;
    private final CommitSpin commits = new CommitSpin(CommitSpin.WINDOW_NANOS);
    private final boolean useWal;
    /** The connection {@link #checkpointWal} uses, opened on its first call (guarded by this). */
    private Db checkpointer;
    private volatile boolean closed;

    private StoreDatabase(Path dbFile, Settings settings, Db writer, List<Db> readers) throws SQLException {
        this.dbFile = dbFile;
        this.useWal = settings.useWal();
        this.busy = new BusyRetry(dbFile.toString());
        this.readBusyLimit = settings.readBusyLimit();
        this.foreign = new ForeignCommits(settings.cacheTrust());
        foreign.check(writer);
        this.writer = writer;
        this.maxReaders = settings.readConnections();
        this.allReaders = new ArrayList<>(readers);
        this.readers = new ArrayBlockingQueue<>(maxReaders, false, readers);
        this.writerThread = new GroupWriter(writer, busy, foreign);
        this.scanThreads = Executors.newFixedThreadPool(2,
                Thread.ofPlatform().name("loomd-db-scan-", 0).daemon(true).factory());
    }

    /**
     * Opens (creating when new) the database as upstream's {@code LocalStore} constructor does:
     * an absent {@code schema} file means a new store (create, run the schema, write "7").
     */
    public static StoreDatabase open(Settings settings) {
        Path dir = settings.dbDir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StoreException("creating directory `" + dir + "': " + e.getMessage());
        }
        Path schemaFile = dir.resolve("schema");
        int current = readSchemaVersion(schemaFile);
        if (current > Schema.VERSION) {
            throw new StoreException("current store schema is version " + current
                    + ", but I only support " + Schema.VERSION);
        }
        if (current != 0 && current < Schema.VERSION) {
            throw new StoreException(
                    "Your store database uses an implausibly old schema, version " + current + ".");
        }
        boolean create = current == 0;
        if (!Files.isReadable(dir) || !Files.isWritable(dir)) {
            throw new StoreException("store database directory `" + dir + "' is not writable");
        }
        Path dbFile = dir.resolve("db.sqlite");
        Db writer = openWriter(dbFile, create, settings);
        List<Db> readers = new ArrayList<>();
        try {
            if (create) {
                writer.exec(Schema.SQL);
                Files.writeString(schemaFile, Integer.toString(Schema.VERSION), StandardCharsets.US_ASCII);
            }
            // One read connection now, the others when reads overlap (issue 14: the first reply
            // comes sooner); opening the first here still fails a start on an unreadable database.
            readers.add(openReader(dbFile));
            return new StoreDatabase(dbFile, settings, writer, readers);
        } catch (SQLException | IOException e) {
            writer.close();
            readers.forEach(Db::close);
            throw new StoreException("initialising database schema: " + e.getMessage(), e);
        }
    }

    static int readSchemaVersion(Path schemaFile) {
        if (!Files.exists(schemaFile)) return 0;
        try {
            String s = Files.readString(schemaFile, StandardCharsets.US_ASCII);
            if (!s.matches("[0-9]{1,9}")) throw new NumberFormatException(s);
            return Integer.parseInt(s);
        } catch (IOException | NumberFormatException e) {
            throw new StoreException("`" + schemaFile + "' is corrupt");
        }
    }

    private static Db openWriter(Path dbFile, boolean create, Settings settings) {
        SQLiteConfig config = new SQLiteConfig();
        if (!create) config.resetOpenMode(SQLiteOpenMode.CREATE);
        config.setBusyTimeout(WRITER_BUSY_TIMEOUT_MS);
        Db db;
        try {
            db = new Db(config.createConnection("jdbc:sqlite:" + dbFile));
        } catch (SQLException e) {
            throw new StoreException("cannot open store database `" + dbFile + "'", e);
        }
        try {
            db.exec("pragma foreign_keys = 1;");
            db.exec("pragma synchronous = " + (settings.fsyncMetadata() ? "normal" : "off") + ";");
            String mode = settings.useWal() ? "wal" : "truncate";
            String prev = db.queryString("pragma main.journal_mode;");
            if (!mode.equalsIgnoreCase(prev)) db.queryString("pragma main.journal_mode = " + mode + ";");
            if (settings.useWal()) db.exec("pragma wal_autocheckpoint = 40000;");
            return db;
        } catch (SQLException e) {
            db.close();
            throw new StoreException("setting up store database `" + dbFile + "': " + e.getMessage(), e);
        }
    }

    /**
     * Copies the WAL's committed frames back into the database file, off the adds' commits: first
     * {@code PRAGMA wal_checkpoint(PASSIVE)} on a connection of its own (it waits for no reader or
     * writer, so the writer keeps committing meanwhile) copies the bulk; then the writer thread, between
     * two groups, checkpoints the few frames committed during that pass, so the checkpoint is complete
     * and the next write starts the WAL over instead of growing it. The flusher calls this on its
     * platform thread after each flush with new rows, so the writer's own automatic checkpoint
     * (40,000 pages, upstream's setting, left as a backstop) is never reached: it ran inside some
     * add's commit and stalled every writer for up to a quarter of a second. A failure is logged; the
     * next call tries again.
     */
    public void checkpointWal() {
        synchronized (this) {
            if (!useWal || closed) return;
            try {
                if (checkpointer == null) checkpointer = openCheckpointer(dbFile);
                checkpointer.queryString("pragma wal_checkpoint(passive);");
            } catch (SQLException e) {
                LOG.log(Level.DEBUG, "checkpointing the store database's WAL: " + e.getMessage());
                return;
            }
        }
        writerThread.errand(() -> {
            try {
                writer.queryString("pragma wal_checkpoint(passive);");
            } catch (SQLException e) {
                LOG.log(Level.DEBUG, "completing the store database's WAL checkpoint: " + e.getMessage());
            }
        });
    }

    private static Db openCheckpointer(Path dbFile) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        config.setBusyTimeout(0);
        return new Db(config.createConnection("jdbc:sqlite:" + dbFile));
    }

    private static Db openReader(Path dbFile) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        config.setReadOnly(true);
        config.setBusyTimeout(0);
        Db db = new Db(config.createConnection("jdbc:sqlite:" + dbFile));
        db.exec("pragma foreign_keys = 1;");
        return db;
    }

    /**
     * A point read on the calling thread with a pooled read-only connection. While another process
     * keeps the database locked it retries for at most {@link Settings#readBusyLimit}, then fails
     * with "the store database … is locked by another process".
     */
    public <T> T read(SqlWork<T> work) {
        // The connection goes back to the pool between busy retries, so a wait cannot starve it.
        return busy.run(() -> {
            Db db = borrow();
            try {
                return work.run(db);
            } finally {
                readers.add(db);
            }
        }, readBusyLimit);
    }

    /** Runs {@code listener} on the writer thread whenever another process is found to have committed. */
    public void onForeignCommit(Runnable listener) {
        foreign.onCommit(listener);
    }

    /**
     * Whether a cache of database answers may answer now: only within the trust window after the
     * last check for foreign commits. Otherwise this queues a check on the writer thread (one at a
     * time) and returns false, and the caller reads the database, which is always current.
     */
    public boolean cacheMayAnswer() {
        if (foreign.recent()) return true;
        if (!closed && foreign.queued.compareAndSet(false, true) && !writerThread.errand(this::checkForeignCommits)) {
            foreign.queued.set(false);
        }
        return false;
    }

    private void checkForeignCommits() {
        try {
            busy.run(() -> {
                foreign.check(writer);
                return null;
            }, null);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "checking the store database for other writers: " + e.getMessage());
        } finally {
            foreign.queued.set(false);
        }
    }

    /** A long read (full scans): runs on a platform thread; the caller waits. */
    public <T> T scan(SqlWork<T> work) {
        return join(CompletableFuture.supplyAsync(() -> read(work), scanThreads));
    }

    /**
     * Runs {@code work} in a {@code BEGIN IMMEDIATE … COMMIT} transaction on the writer thread and
     * waits for the commit. Writes queued together share one transaction (group commit, see
     * {@link GroupWriter}), each in its own savepoint: any exception of {@code work} rolls back its
     * own changes only and is rethrown unchanged ({@link StoreException} included); transient busy
     * errors retry the whole group. A lone caller watches its future briefly before parking
     * ({@link CommitSpin}).
     */
    public <T> T write(SqlWork<T> work) {
        ensureOpen();
        return commits.await(() -> writerThread.submit(work), StoreDatabase::join);
    }

    /**
     * Ends writing: refuses new writes, lets the queued ones commit and stops the writer thread.
     * Reads keep working until {@link #close}: the store's last durable checkpoint is taken after this.
     */
    public void stopWrites() {
        writerThread.stop();
    }

    private Db borrow() {
        ensureOpen();
        Db idle = readers.poll();
        if (idle != null) return idle;
        Db added = openAnotherReader();
        if (added != null) return added;
        ensureOpen();
        try {
            return readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted");
        }
    }

    /**
     * A new read connection while fewer than {@link #maxReaders} exist, else null (the caller waits
     * for an idle one, as it also does when the open fails). Opening a read-only connection takes no
     * lock on the database, so it never waits on another process.
     */
    private Db openAnotherReader() {
        synchronized (allReaders) {
            if (closed || allReaders.size() >= maxReaders) return null;
            try {
                Db db = openReader(dbFile);
                allReaders.add(db);
                return db;
            } catch (SQLException e) {
                LOG.log(Level.WARNING, "opening another read connection to `" + dbFile + "': " + e.getMessage());
                return null;
            }
        }
    }

    private void ensureOpen() {
        if (closed) throw new StoreException("the store database is closed");
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            if (cause instanceof Error err) throw err;
            throw new StoreException(String.valueOf(cause), cause);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        writerThread.stop();
        scanThreads.shutdown();
        try {
            scanThreads.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (allReaders) {
            allReaders.forEach(Db::close);
        }
        synchronized (this) {
            if (checkpointer != null) checkpointer.close();
        }
        writer.close();
    }
}
