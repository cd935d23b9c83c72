package loomd.daemon.session;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import loomd.daemon.Settings;
import loomd.daemon.build.BuildEvents;
import loomd.daemon.build.GoalStatus;
import loomd.daemon.build.OutputSubstitution;
import loomd.daemon.build.Worker;
import loomd.daemon.store.StoreException;
import loomd.daemon.substitute.FetchListener;
import loomd.daemon.substitute.Outcome;
import loomd.daemon.substitute.Substituters;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;

/**
 * The substitution part of a session's derivation goals (daemon.md §4.3 steps 2 and 3): a derivation
 * that allows substitutes gets its invalid outputs substituted before it is built; a failed substitute
 * aborts the operation unless {@code --fallback}. Runs on the worker's goal threads, so it reports
 * through the operation's {@link BuildEvents} queue and works on a snapshot of the session's settings.
 */
final class DerivationSubstitutes implements OutputSubstitution {
    private final Substituters subs;
    private final Settings settings;
    private final BuildEvents events;
    private final boolean showOutput;

    private DerivationSubstitutes(Substituters subs, Settings settings, BuildEvents events, boolean showOutput) {
        this.subs = subs;
        this.settings = settings;
        this.events = events;
        this.showOutput = showOutput;
    }

    /** Lets {@code worker} substitute outputs when the session has substitutes on. */
    static void attach(SessionContext s, Worker worker, BuildEvents events) {
        SubstituteOps.substituters(s).ifPresent(subs -> worker.substituteOutputsWith(new DerivationSubstitutes(
                subs, s.settings.copy(), events, s.stderr.verbosity() >= s.settings.buildVerbosity)));
    }

    @Override
    public Optional<GoalStatus> substituteOutputs(String drvPath, Derivation drv, BooleanSupplier cancelled)
            throws Exception {
        List<String> invalid = new ArrayList<>();
        for (DerivationOutput o : drv.outputs().values()) {
            if (!subs.isValid(o.path())) invalid.add(o.path());
        }
        if (invalid.isEmpty()) return Optional.of(GoalStatus.ALREADY_VALID);
        String allow = drv.env().get("allowSubstitutes");
        if (allow != null && !allow.equals("1")) return Optional.empty();
        int failed = 0;
        FetchListener listener = listener(cancelled);
        for (String out : invalid) {
            if (subs.substitute(settings, out, false, listener) instanceof Outcome.Failed) failed++;
        }
        if (failed > 0 && !settings.tryFallback) {
            throw new StoreException("some substitutes for the outputs of derivation `" + drvPath
                    + "' failed (usually happens due to networking issues); try `--fallback' to build derivation from source ");
        }
        for (String out : invalid) {
            if (!subs.isValid(out)) return Optional.empty();
        }
        return Optional.of(GoalStatus.SUBSTITUTED);
    }

    private FetchListener listener(BooleanSupplier cancelled) {
        return new FetchListener() {
            @Override
            public void message(int level, String text) {
                events.message(level, text + "\n");
            }

            @Override
            public void output(byte[] chunk) {
                if (showOutput) events.message(0, new String(chunk, StandardCharsets.UTF_8));
            }

            @Override
            public void checkCancelled() {
                if (cancelled.getAsBoolean()) throw new ClientGoneException("build operation cancelled");
            }

            @Override
            public void tempRoot(String path) {
                // the plan made the outputs temp roots; references are registered before their referrer
            }
        };
    }
}
