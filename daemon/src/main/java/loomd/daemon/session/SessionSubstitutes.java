package loomd.daemon.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import loomd.daemon.substitute.FetchListener;
import loomd.daemon.substitute.Outcome;
import loomd.daemon.substitute.Substituters;

/**
 * Substitution goals of one session's operation (daemon.md §5.3, §4.1): {@code wopEnsurePath} and the
 * plain store paths of {@code wopBuildPaths}. The helper's output reaches the client as read (when the
 * session's verbosity reaches its build verbosity), daemon messages and traces at their levels; a client
 * that hangs up stops the fetch (the helper is killed, nothing is registered).
 */
final class SessionSubstitutes implements FetchListener {
    private final SessionContext s;

    private SessionSubstitutes(SessionContext s) {
        this.s = s;
    }

    /**
     * Realises each path (valid already, or substituted with its closure); returns those that failed.
     * "No substituter" is not a failure (§9.22); the path is still a temp root.
     */
    static List<String> realise(SessionContext s, Collection<String> paths, boolean repair)
            throws IOException, InterruptedException {
        Optional<Substituters> subs = SubstituteOps.substituters(s);
        List<String> failed = new ArrayList<>();
        SessionSubstitutes listener = new SessionSubstitutes(s);
        for (String path : paths) {
            if (subs.isEmpty()) {
                s.roots().addTempRoot(path);
                continue;
            }
            try {
                if (subs.get().substitute(s.settings, path, repair, listener) instanceof Outcome.Failed) {
                    failed.add(path);
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        return failed;
    }

    /** A repairing substitution of {@code path} (verify-store); true only if it was substituted now. */
    static boolean repair(SessionContext s, String path) throws IOException, InterruptedException {
        Optional<Substituters> subs = SubstituteOps.substituters(s);
        if (subs.isEmpty()) return false;
        try {
            return subs.get().substitute(s.settings, path, true, new SessionSubstitutes(s)) instanceof Outcome.Substituted;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** True when {@code path} is valid or was substituted now. */
    static boolean ensure(SessionContext s, String path) throws IOException, InterruptedException {
        Optional<Substituters> subs = SubstituteOps.substituters(s);
        if (subs.isEmpty()) {
            s.roots().addTempRoot(path);
            return s.store.queries().isValidPath(path);
        }
        try {
            return subs.get().substitute(s.settings, path, false, new SessionSubstitutes(s))
                    instanceof Outcome.Substituted;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public void message(int level, String text) {
        try {
            s.stderr.message(level, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One frame per line, as upstream's client sees the helper's lines however the pipe's reads fell
     * (transcript 28): a chunk holding two lines would otherwise reach the client as one message.
     */
    @Override
    public void output(byte[] chunk) {
        if (s.stderr.verbosity() < s.settings.buildVerbosity) return;
        try {
            int from = 0;
            for (int i = 0; i < chunk.length; i++) {
                if (chunk[i] == '\n' && i + 1 < chunk.length) {
                    s.stderr.next(java.util.Arrays.copyOfRange(chunk, from, i + 1));
                    from = i + 1;
                }
            }
            s.stderr.next(from == 0 ? chunk : java.util.Arrays.copyOfRange(chunk, from, chunk.length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void checkCancelled() {
        s.stderr.checkClient();
    }

    @Override
    public void tempRoot(String path) {
        s.roots().addTempRoot(path);
    }
}
