package loomd.daemon.store.db;

import java.lang.System.Logger.Level;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import loomd.daemon.store.StoreException;
import org.sqlite.SQLiteException;

/**
 * The writer thread ({@code loomd-db-writer}) with group commit: it takes every write queued
 * meanwhile (at most {@link #GROUP_LIMIT}) and runs them in ONE {@code BEGIN IMMEDIATE … COMMIT},
 * each inside its own {@code SAVEPOINT}, so that a failing write is rolled back alone while the
 * others commit together (a write alone in its group needs none: its transaction is rolled back
 * instead). Callers' futures complete only after the commit. A busy error (another
 * process holds the database) rolls the whole group back and retries it, as a single write would.
 * Errands (the foreign-commit poll) run between groups, outside any transaction.
 */
final class GroupWriter {
    private static final System.Logger LOG = System.getLogger(GroupWriter.class.getName());
    /** Most writes sharing one transaction: bounds how long one commit keeps its callers waiting. */
    static final int GROUP_LIMIT = 64;

    private sealed interface Task permits Write, Errand, Stop {}

    private record Write<T>(SqlWork<T> work, CompletableFuture<T> result) implements Task {}

    private record Errand(Runnable action) implements Task {}

    private record Stop() implements Task {}

    /** What one write of a group produced, kept until the group committed. */
    private record Outcome(Object value, Throwable failure) {}

    private final Db writer;
    private final BusyRetry busy;
    private final ForeignCommits foreign;
    private final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Guarded by this; once set, nothing more is queued. */
    private boolean stopping;

    GroupWriter(Db writer, BusyRetry busy, ForeignCommits foreign) {
        this.writer = writer;
        this.busy = busy;
        this.foreign = foreign;
        this.thread = Thread.ofPlatform().name("loomd-db-writer").daemon(true).start(this::loop);
    }

    /** Queues {@code work}; the future completes after the commit of its group. */
    <T> CompletableFuture<T> submit(SqlWork<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        // Under the monitor, so that every write queued is queued before the stop mark.
        synchronized (this) {
            if (!stopping) {
                queue.add(new Write<>(work, result));
                return result;
            }
        }
        result.completeExceptionally(new StoreException("the store database is closed"));
        return result;
    }

    /** Runs {@code action} on the writer thread between transactions; false once stopping. */
    synchronized boolean errand(Runnable action) {
        if (stopping) return false;
        queue.add(new Errand(action));
        return true;
    }

    /** Refuses new writes, lets the queued ones finish, and waits (bounded) for the thread to end. */
    void stop() {
        synchronized (this) {
            if (!stopping) queue.add(new Stop());
            stopping = true;
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (true) {
            List<Task> batch = new ArrayList<>();
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, GROUP_LIMIT - 1);
            List<Write<?>> writes = new ArrayList<>();
            boolean stop = false;
            for (Task t : batch) {
                switch (t) {
                    case Write<?> w -> writes.add(w);
                    case Errand e -> e.action().run();
                    case Stop s -> stop = true;
                }
            }
            if (!writes.isEmpty()) commitGroup(writes);
            if (stop) {
                failQueued();
                return;
            }
        }
    }

    private void failQueued() {
        List<Task> left = new ArrayList<>();
        queue.drainTo(left);
        for (Task t : left) {
            if (t instanceof Write<?> w) w.result().completeExceptionally(new StoreException("the store database is closed"));
        }
    }

    private void commitGroup(List<Write<?>> writes) {
        List<Outcome> outcomes;
        try {
            outcomes = busy.run(() -> transaction(writes), null);
        } catch (GroupAborted aborted) {
            // The failing write fails; the others lost their work with the transaction and run again.
            aborted.write.result().completeExceptionally(aborted.failure);
            List<Write<?>> rest = new ArrayList<>(writes);
            rest.remove(aborted.write);
            if (!rest.isEmpty()) commitGroup(rest);
            return;
        } catch (RuntimeException | Error e) {
            for (Write<?> w : writes) w.result().completeExceptionally(e);
            return;
        }
        for (int i = 0; i < writes.size(); i++) complete(writes.get(i), outcomes.get(i));
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(Write<T> w, Outcome o) {
        if (o.failure() != null) w.result().completeExceptionally(o.failure());
        else w.result().complete((T) o.value());
    }

    private List<Outcome> transaction(List<Write<?>> writes) throws SQLException {
        writer.run("begin immediate;");
        boolean committed = false;
        try {
            // Under the write lock: what another process committed before now is seen, and cached
            // answers about it are dropped before this transaction's own changes are recorded.
            foreign.check(writer);
            List<Outcome> outcomes = new ArrayList<>(writes.size());
            if (writes.size() == 1) {
                // Alone in its group: the transaction itself undoes a failure (the finally below), so
                // the savepoint's two extra statements are saved on the common one-client path.
                outcomes.add(attempt(writes.getFirst(), false));
                if (outcomes.getFirst().failure() != null) return outcomes;
            } else {
                for (Write<?> w : writes) outcomes.add(runOne(w));
            }
            writer.run("commit;");
            committed = true;
            return outcomes;
        } finally {
            if (!committed) {
                try {
                    writer.exec("rollback;"); // a fresh statement: the failure may have finalized cached ones
                } catch (SQLException e) {
                    LOG.log(Level.DEBUG, "rollback failed (transaction already gone)", e);
                }
            }
        }
    }

    /** One write inside its savepoint; a busy error aborts the whole group (to be retried). */
    private Outcome runOne(Write<?> w) throws SQLException {
        writer.run("savepoint task;");
        Outcome outcome = attempt(w, true);
        return outcome.failure() == null ? outcome : undo(w, outcome.failure());
    }

    /**
     * Runs one write's work (then releases its savepoint, if {@code inSavepoint}); a busy error is
     * thrown (the group is retried), any other failure is the write's outcome.
     */
    private Outcome attempt(Write<?> w, boolean inSavepoint) throws SQLException {
        try {
            Object value = w.work().run(writer);
            if (inSavepoint) writer.run("release task;");
            return new Outcome(value, null);
        } catch (SQLiteException e) {
            if (BusyRetry.isBusy(e)) throw e;
            return new Outcome(null, new StoreException(e.getMessage(), e));
        } catch (SQLException e) {
            return new Outcome(null, new StoreException(e.getMessage(), e));
        } catch (RuntimeException | Error e) {
            return new Outcome(null, e);
        }
    }

    /**
     * Rolls {@code w} back alone. On some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has
     * already rolled the whole transaction back, savepoints included: then the group is aborted.
     */
    private Outcome undo(Write<?> w, Throwable failure) {
        try {
            writer.run("rollback to task;");
            writer.run("release task;");
        } catch (SQLException transactionGone) {
            failure.addSuppressed(transactionGone);
            throw new GroupAborted(w, failure);
        }
        return new Outcome(null, failure);
    }

    /** The transaction of a group ended under {@code write}'s failure. */
    private static final class GroupAborted extends RuntimeException {
        private final transient Write<?> write;
        private final Throwable failure;

        GroupAborted(Write<?> write, Throwable failure) {
            super(failure.getMessage(), failure, false, false);
            this.write = write;
            this.failure = failure;
        }
    }
}
