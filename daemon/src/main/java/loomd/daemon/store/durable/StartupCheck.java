package loomd.daemon.store.durable;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import loomd.daemon.store.StoreException;
import loomd.daemon.store.db.PathRow;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.NarResult;
import loomd.protocol.nar.NarWriter;

/**
 * The store's start, before any client is served: reads the {@link CheckpointFile}; if the last run
 * did not stop cleanly, every valid path registered after its checkpoint is checked against its
 * NAR hash and size (in parallel, on platform threads), and the damaged ones are invalidated with
 * all their referrers in one transaction, each repair logged. Rows at or below the checkpoint are
 * never read. Then the file is marked running, durably, before the first add can be acknowledged.
 */
public final class StartupCheck {
    private static final System.Logger LOG = System.getLogger(StartupCheck.class.getName());

    /** One damaged path: why its contents do not match its row. */
    record Damage(String path, String why) {}

    private StartupCheck() {}

    /**
     * Runs the check; returns the checkpoint the flusher starts from (recorded as running).
     *
     * @param physical where a logical store path's files are
     */
    public static long run(CheckpointFile file, StoreDatabase db, Function<String, Path> physical) {
        long highest = db.read(StoreQueries::highestId);
        long start = switch (file.read()) {
            case CheckpointFile.Absent a -> {
                LOG.log(Level.INFO, "no durable checkpoint yet (first start of loomd on this store):"
                        + " the " + highest + " rows registered so far are taken as durable, as upstream does");
                yield highest;
            }
            case CheckpointFile.Corrupt c -> {
                LOG.log(Level.WARNING, "durable checkpoint `" + file.path() + "' is unreadable (" + c.why()
                        + "): verifying every valid path");
                yield verify(db, physical, 0);
            }
            case CheckpointFile.Present p when p.checkpoint().id() > highest -> {
                LOG.log(Level.WARNING, "durable checkpoint `" + file.path() + "' is ahead of the database ("
                        + p.checkpoint().id() + " > " + highest + "): it belongs to another database; starting anew");
                yield highest;
            }
            case CheckpointFile.Present p when p.checkpoint().state() == CheckpointFile.State.CLEAN ->
                    p.checkpoint().id();
            case CheckpointFile.Present p -> verify(db, physical, p.checkpoint().id());
        };
        try {
            file.write(new CheckpointFile.Checkpoint(CheckpointFile.State.RUNNING, start));
        } catch (IOException e) {
            throw new StoreException("writing the durable checkpoint `" + file.path() + "': " + e.getMessage(), e);
        }
        return start;
    }

    /** Checks the rows above {@code checkpoint}, repairs, logs; returns {@code checkpoint}. */
    static long verify(StoreDatabase db, Function<String, Path> physical, long checkpoint) {
        long t0 = System.nanoTime();
        List<PathRow> rows = db.read(d -> StoreQueries.rowsAfter(d, checkpoint));
        List<Damage> damaged = check(rows, physical);
        SortedMap<String, String> invalidated = damaged.isEmpty() ? new TreeMap<>()
                : db.write(d -> StoreQueries.invalidateWithReferrers(d, damaged.stream().map(Damage::path).toList()));
        for (Damage d : damaged) {
            LOG.log(Level.WARNING, "repair: `" + d.path() + "', registered after the last durable checkpoint, is damaged ("
                    + d.why() + "): invalidated");
        }
        for (Map.Entry<String, String> e : invalidated.entrySet()) {
            if (!e.getKey().equals(e.getValue())) {
                LOG.log(Level.WARNING, "repair: `" + e.getKey() + "' refers to invalidated `" + e.getValue()
                        + "': invalidated");
            }
        }
        LOG.log(Level.INFO, String.format("start-up verification: %d paths registered after durable checkpoint %d"
                        + " checked in %d ms; %d damaged, %d invalidated", rows.size(), checkpoint,
                (System.nanoTime() - t0) / 1_000_000, damaged.size(), invalidated.size()));
        return checkpoint;
    }

    private static List<Damage> check(List<PathRow> rows, Function<String, Path> physical) {
        List<Damage> damaged = new ArrayList<>();
        if (rows.isEmpty()) return damaged;
        // Hashing after a power cut reads a cold page cache: more reads in flight than cores pays.
        int threads = Math.min(16, 4 * Runtime.getRuntime().availableProcessors());
        // A NarWriter holds a 1 MiB buffer: one per thread, not one per path.
        ThreadLocal<NarWriter> writers = ThreadLocal.withInitial(NarWriter::new);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads,
                Thread.ofPlatform().name("loomd-verify-", 0).daemon(true).factory())) {
            List<Future<Optional<Damage>>> results = new ArrayList<>(rows.size());
            for (PathRow row : rows) results.add(pool.submit(() -> damage(row, physical.apply(row.path()), writers.get())));
            for (Future<Optional<Damage>> f : results) f.get().ifPresent(damaged::add);
        } catch (ExecutionException e) {
            throw new StoreException("verifying recent store paths: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while verifying recent store paths");
        }
        return damaged;
    }

    /** What is wrong with {@code row}'s contents at {@code file}, if anything. */
    static Optional<Damage> damage(PathRow row, Path file, NarWriter writer) {
        Hash expected;
        try {
            expected = Hash.parse(row.hash());
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "cannot verify `" + row.path() + "': its hash field `" + row.hash() + "' is corrupt");
            return Optional.empty();
        }
        NarResult actual;
        try {
            actual = writer.write(file, OutputStream.nullOutputStream());
        } catch (NoSuchFileException e) {
            return Optional.of(new Damage(row.path(), "missing"));
        } catch (IOException | RuntimeException e) {
            return Optional.of(new Damage(row.path(), "unreadable: " + e.getMessage()));
        }
        if (row.narSize() != 0 && row.narSize() != actual.narSize()) {
            return Optional.of(new Damage(row.path(), "NAR size " + actual.narSize() + ", expected " + row.narSize()));
        }
        if (expected.algorithm() == HashAlgorithm.SHA256 && !expected.equals(actual.narHash())) {
            return Optional.of(new Damage(row.path(), "NAR hash " + actual.narHash().toTypedString()
                    + ", expected " + expected.toTypedString()));
        }
        return Optional.empty();
    }
}
