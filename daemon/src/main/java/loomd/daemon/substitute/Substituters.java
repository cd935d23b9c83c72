package loomd.daemon.substitute;

import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import loomd.daemon.Settings;
import loomd.daemon.SettingsException;
import loomd.daemon.store.LocalStore;
import loomd.daemon.store.StoreException;
import loomd.daemon.substitute.nativ.NativeSubstituter;
import loomd.spawner.Spawner;

/**
 * The daemon's substitute machinery (daemon.md §5): the shared query helpers, the fetching helpers and
 * the substitution goals, for every session of one store. Made at startup when the {@code guix}
 * program is known ({@code GUIX}, {@code NIX_BIN_DIR/guix}, or {@code guix} on the PATH, as for
 * {@code guix authenticate}); sessions find it through {@link #of}, like the build services.
 * Without it the substitute queries answer "none", which is what upstream answers when no substituter
 * has the path.
 */
public final class Substituters implements AutoCloseable {
    /** Query helpers the whole daemon runs at most (upstream: one per session). */
    public static final int QUERY_HELPERS = 2;

    private static final Map<LocalStore, Substituters> BY_STORE = new ConcurrentHashMap<>();

    final LocalStore store;
    final String program;
    final Consumer<String> log;
    private final QueryHelpers queryHelpers;
    final FetchHelpers fetchHelpers;
    final SubstituteQuery query;
    final SubstitutionGoals goals;
    /** Set in native mode ({@code --substituter=native}), where no helper is ever started. */
    final NativeSubstituter nativ;

    private Substituters(LocalStore store, Spawner spawner, String program, Map<String, String> env,
            Consumer<String> log) {
        this.store = store;
        this.program = program;
        this.log = log;
        this.nativ = null;
        Map<String, String> environment = Map.copyOf(env);
        this.queryHelpers = new QueryHelpers(o -> HelperProcess.start(spawner, program, "--query", environment, o),
                QUERY_HELPERS);
        this.fetchHelpers = new FetchHelpers(o -> HelperProcess.start(spawner, program, "--substitute", environment, o));
        this.query = new SubstituteQuery(queryHelpers, store.config().storeDir(), program);
        this.goals = new SubstitutionGoals(this);
    }

    private Substituters(LocalStore store, NativeSubstituter nativ, Consumer<String> log) {
        this.store = store;
        this.program = "loomd";
        this.log = log;
        this.nativ = nativ;
        this.queryHelpers = null;
        this.fetchHelpers = null;
        this.query = null;
        this.goals = new SubstitutionGoals(this);
    }

    /** Makes substitutes available to the sessions of {@code store} through the daemon's own substituter. */
    public static Substituters attachNative(LocalStore store, NativeSubstituter nativ, Consumer<String> log) {
        Substituters s = new Substituters(store, nativ, log);
        BY_STORE.put(store, s);
        return s;
    }

    /** Makes substitutes available to the sessions of {@code store}, running {@code program substitute}. */
    public static Substituters attach(LocalStore store, Spawner spawner, String program,
            Map<String, String> env, Consumer<String> log) {
        Substituters s = new Substituters(store, spawner, program, env, log);
        BY_STORE.put(store, s);
        return s;
    }

    public static Optional<Substituters> of(LocalStore store) {
        return Optional.ofNullable(BY_STORE.get(store));
    }

    /** How many query helper processes were started so far. */
    public int queryHelpersStarted() {
        return queryHelpers == null ? 0 : queryHelpers.started();
    }

    /** {@code have}: the substitutable ones of {@code paths}; diagnostics go to {@code messages}. */
    public SortedSet<String> have(Settings settings, Collection<String> paths, Consumer<String> messages)
            throws IOException, InterruptedException {
        if (nativ != null) return new java.util.TreeSet<>(nativ.info(settings, paths).keySet());
        return query.have(options(settings), paths, messages);
    }

    /** {@code info}: what the substituter says of each substitutable path of {@code paths}. */
    public Map<String, SubstitutableInfo> info(Settings settings, Collection<String> paths,
            Consumer<String> messages) throws IOException, InterruptedException {
        if (nativ != null) return nativ.info(settings, paths);
        return query.info(options(settings), paths, messages);
    }

    /** Substitutes {@code path} and, first, its references (§5.3); see {@link SubstitutionGoals}. */
    public Outcome substitute(Settings settings, String path, boolean repair, FetchListener listener)
            throws IOException, InterruptedException {
        return goals.substitute(settings, path, repair, listener);
    }

    public boolean isValid(String path) {
        return store.queries().isValidPath(path);
    }

    static String options(Settings settings) {
        try {
            return settings.toNixOptions();
        } catch (SettingsException e) {
            throw new StoreException(e.getMessage());
        }
    }

    @Override
    public void close() {
        BY_STORE.remove(store, this);
        if (nativ != null) {
            nativ.close();
            return;
        }
        queryHelpers.close();
        fetchHelpers.close();
    }
}
