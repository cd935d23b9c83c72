package loomd.daemon.substitute;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import loomd.daemon.Settings;

/**
 * One substitution request in native mode: as {@link SubstitutionGoals}, each path only after its
 * references (the closure invariant), but the references of a path are substituted in parallel, one
 * virtual thread each, so a wide closure downloads many NARs at once (bounded per server by the HTTP
 * client). A path reached twice is done once: the second arrival waits for the first. The listener
 * is shared by the threads, so every call to it is serialised.
 */
final class ParallelClosure {
    private final SubstitutionGoals goals;
    private final Settings settings;
    private final FetchListener l;
    private final ConcurrentHashMap<String, CompletableFuture<Outcome>> done = new ConcurrentHashMap<>();

    ParallelClosure(SubstitutionGoals goals, Settings settings, FetchListener listener) {
        this.goals = goals;
        this.settings = settings;
        this.l = new Serialised(listener);
    }

    Outcome goal(String path, boolean repair) throws IOException, InterruptedException {
        CompletableFuture<Outcome> mine = new CompletableFuture<>();
        CompletableFuture<Outcome> theirs = done.putIfAbsent(path, mine);
        if (theirs != null) return result(theirs);
        try {
            Outcome o = run(path, repair);
            mine.complete(o);
            return o;
        } catch (Throwable t) {
            mine.completeExceptionally(t);
            throw t;
        }
    }

    private Outcome run(String path, boolean repair) throws IOException, InterruptedException {
        l.tempRoot(path);
        if (!repair && goals.valid(path)) return Outcome.SUBSTITUTED;
        SubstitutableInfo info = goals.info(settings, path, l);
        if (info == null) return Outcome.NO_SUBSTITUTERS;
        List<String> refs = info.references().stream().filter(r -> !r.equals(path)).toList();
        Outcome closure = SubstitutionGoals.closure(all(refs));
        return closure != null ? closure : goals.shared(settings, info, repair, l);
    }

    private List<Outcome> all(List<String> refs) throws IOException, InterruptedException {
        List<Outcome> outcomes = new ArrayList<>();
        if (refs.size() == 1) {
            outcomes.add(goal(refs.getFirst(), false));
            return outcomes;
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Outcome>> pending = new ArrayList<>();
            for (String r : refs) pending.add(threads.submit(() -> goal(r, false)));
            try {
                for (Future<Outcome> f : pending) outcomes.add(result(f));
            } catch (IOException | InterruptedException | RuntimeException | Error e) {
                threads.shutdownNow();
                throw e;
            }
        }
        return outcomes;
    }

    private static Outcome result(Future<Outcome> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case InterruptedException ie -> throw ie;
                case RuntimeException re -> throw re;
                case Error err -> throw err;
                default -> throw new IOException(e.getCause());
            }
        }
    }

    /**
     * The session's listener shared by the threads: messages one at a time (they write to the client's
     * socket), temp roots one at a time under their own lock, and the hang-up probe asked at most every
     * {@link #PROBE_NANOS} by whichever thread comes first (every transfer polls it; a hang-up seen
     * once is rethrown to all).
     */
    private static final class Serialised implements FetchListener {
        private static final long PROBE_NANOS = 50_000_000L;
        private final FetchListener inner;
        private final Object messages = new Object();
        private final Object roots = new Object();
        private final Object probe = new Object();
        private volatile long probedAt = System.nanoTime() - PROBE_NANOS;
        private volatile RuntimeException hangUp;

        Serialised(FetchListener inner) {
            this.inner = inner;
        }

        @Override
        public void message(int level, String text) {
            synchronized (messages) {
                inner.message(level, text);
            }
        }

        @Override
        public void output(byte[] chunk) {
            synchronized (messages) {
                inner.output(chunk);
            }
        }

        @Override
        public void checkCancelled() {
            RuntimeException seen = hangUp;
            if (seen != null) throw seen;
            if (System.nanoTime() - probedAt < PROBE_NANOS) return;
            synchronized (probe) {
                if (System.nanoTime() - probedAt < PROBE_NANOS) return;
                try {
                    synchronized (messages) {
                        inner.checkCancelled(); // the session's stderr is one object: not beside a message
                    }
                } catch (RuntimeException e) {
                    hangUp = e;
                    throw e;
                }
                probedAt = System.nanoTime();
            }
        }

        @Override
        public void tempRoot(String path) {
            synchronized (roots) {
                inner.tempRoot(path);
            }
        }
    }
}
