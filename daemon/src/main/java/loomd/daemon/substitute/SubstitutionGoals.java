package loomd.daemon.substitute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import loomd.daemon.Settings;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.db.Registration;
import loomd.daemon.store.fs.FileTrees;

/**
 * Substitution goals (daemon.md §5.3): the path's references first (closure invariant), then one
 * {@code substitute} exchange with a fetching helper, then registration with the references and
 * deriver the query helper gave. The references are done one after the other on the caller's thread,
 * so a closure arrives in dependency order.
 *
 * <p>Unlike upstream, where two sessions wanting one path each take the path's lock in turn (the second
 * then finds it valid), the fetch itself is shared in the daemon: the second caller waits for the first
 * one's download, and fetches itself only if the first one was cancelled.
 */
final class SubstitutionGoals {
    private final Substituters subs;
    private final Map<String, CompletableFuture<Outcome>> fetching = new ConcurrentHashMap<>();

    SubstitutionGoals(Substituters subs) {
        this.subs = subs;
    }

    Outcome substitute(Settings settings, String path, boolean repair, FetchListener l)
            throws IOException, InterruptedException {
        if (subs.nativ != null) return new ParallelClosure(this, settings, l).goal(path, repair);
        return goal(settings, path, repair, l, new HashMap<>());
    }

    private Outcome goal(Settings settings, String path, boolean repair, FetchListener l, Map<String, Outcome> done)
            throws IOException, InterruptedException {
        Outcome known = done.get(path);
        if (known != null) return known;
        l.tempRoot(path);
        if (!repair && subs.store.queries().isValidPath(path)) return remember(done, path, Outcome.SUBSTITUTED);
        SubstitutableInfo info = subs.info(settings, List.of(path), m -> l.message(0, m)).get(path);
        if (info == null) return remember(done, path, Outcome.NO_SUBSTITUTERS);
        List<Outcome> refs = new java.util.ArrayList<>();
        for (String ref : info.references()) {
            if (!ref.equals(path)) refs.add(goal(settings, ref, false, l, done));
        }
        Outcome closure = closure(refs);
        return remember(done, path, closure != null ? closure : shared(settings, info, repair, l));
    }

    /** What the references' outcomes make of the goal (§5.3 step 3); null when all were substituted. */
    static Outcome closure(List<Outcome> refs) {
        boolean lacking = false;
        boolean failed = false;
        for (Outcome o : refs) {
            if (!(o instanceof Outcome.Substituted)) {
                failed = true;
                lacking |= !(o instanceof Outcome.Failed);
            }
        }
        if (!failed) return null;
        return lacking ? Outcome.INCOMPLETE_CLOSURE : new Outcome.Failed("");
    }

    /** The query step of a goal: what the substituters say of {@code path}, or null for none. */
    SubstitutableInfo info(Settings settings, String path, FetchListener l) throws IOException, InterruptedException {
        return subs.info(settings, List.of(path), m -> l.message(0, m)).get(path);
    }

    boolean valid(String path) {
        return subs.store.queries().isValidPath(path);
    }

    private static Outcome remember(Map<String, Outcome> done, String path, Outcome o) {
        done.put(path, o);
        return o;
    }

    /** One fetch of {@code info.path()} at a time in the daemon; others wait for it. */
    Outcome shared(Settings settings, SubstitutableInfo info, boolean repair, FetchListener l)
            throws IOException, InterruptedException {
        while (true) {
            CompletableFuture<Outcome> mine = new CompletableFuture<>();
            CompletableFuture<Outcome> theirs = fetching.putIfAbsent(info.path(), mine);
            if (theirs == null) {
                try {
                    Outcome o = fetch(settings, info, repair, l);
                    mine.complete(o);
                    return o;
                } catch (Throwable t) {
                    mine.completeExceptionally(t);
                    throw t;
                } finally {
                    fetching.remove(info.path(), mine);
                }
            }
            Outcome o = await(theirs, l);
            if (o != null) return o;
        }
    }

    /** Their outcome; null when their fetch was aborted (the caller then fetches itself). */
    private static Outcome await(CompletableFuture<Outcome> theirs, FetchListener l) throws InterruptedException {
        while (true) {
            try {
                return theirs.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                l.checkCancelled();
            } catch (ExecutionException e) {
                return null;
            }
        }
    }

    private Outcome fetch(Settings settings, SubstitutableInfo info, boolean repair, FetchListener l)
            throws IOException, InterruptedException {
        String path = info.path();
        if (!repair && subs.store.queries().isValidPath(path)) return Outcome.SUBSTITUTED;
        l.message(1, "fetching path `" + path + "'...");
        if (subs.nativ != null) return NativeFetch.fetch(subs.nativ, settings, info, repair, l);
        Path physical = subs.store.config().physical(path);
        Path destination = repair ? Path.of(physical + ".tmp") : physical;
        FileTrees.deleteRecursively(destination);
        String options = Substituters.options(settings) + "deduplicate=" + (settings.autoOptimiseStore ? "yes" : "no");
        HelperProcess helper = subs.fetchHelpers.acquire(options);
        if (settings.printBuildTrace) l.message(0, "@ substituter-started " + path + " substitute");
        String status;
        try {
            status = FetchRun.run(helper, path, destination.toString(), l, settings.buildTimeout,
                    settings.maxSilentTime);
        } catch (IOException | InterruptedException | RuntimeException e) {
            helper.close();
            FileTrees.deleteRecursively(destination);
            throw e;
        }
        if (status.equals(FetchRun.TIMED_OUT)) {
            // upstream: the trace, the helper killed, the goal failed (without the 101 exit status)
            helper.close();
            FileTrees.deleteRecursively(destination);
            if (settings.printBuildTrace) l.message(0, "@ substituter-failed " + path + " timeout");
            return new Outcome.Failed("timeout");
        }
        subs.fetchHelpers.release(helper, !status.isEmpty());
        try {
            Result r = SubstituteStatus.interpret(path, status, destination);
            if (r instanceof Result.Bad bad) {
                FileTrees.deleteRecursively(destination);
                return failed(settings, path, status, bad.message(), l);
            }
            Result.Good good = (Result.Good) r;
            Registration row = Registration.of(path, good.narHashBase16(), good.narSize(),
                    new TreeSet<>(info.references()), info.deriver());
            if (repair) {
                // a swap, so the path always holds a whole tree, a directory too
                subs.store.adds().replaceWith(destination, row);
                FileTrees.deleteRecursively(destination);
            } else {
                subs.store.adds().registerValidPaths(List.of(row));
            }
        } catch (StoreException | IOException e) {
            FileTrees.deleteRecursively(destination);
            throw e;
        }
        if (settings.printBuildTrace) l.message(0, "@ substituter-succeeded " + path);
        return Outcome.SUBSTITUTED;
    }

    /** A failed fetch as upstream reports it: the message at info, then the traces. */
    static Outcome failed(Settings settings, String path, String status, String message, FetchListener l) {
        l.message(1, message);
        if (settings.printBuildTrace) {
            if (status.startsWith("hash-mismatch ")) l.message(0, "@ " + status.replaceFirst(" ", " " + path + " "));
            l.message(0, "@ substituter-failed " + path + " " + status + " " + message);
        }
        return new Outcome.Failed(message);
    }

    static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }
}
