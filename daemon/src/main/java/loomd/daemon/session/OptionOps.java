package loomd.daemon.session;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

import loomd.daemon.Settings;
import loomd.protocol.ops.IntReply;
import loomd.protocol.ops.NoReply;
import loomd.protocol.ops.OptimiseStore;
import loomd.protocol.ops.SetOptions;
import loomd.protocol.ops.VerifyStore;

/** Session options and store maintenance: handlers of {@link OpTable}. */
final class OptionOps {
    /** Override names any client may set under their own name. */
    static final Set<String> ANYONE_MAY_SET = Set.of("build-timeout", "build-max-silent-time", "build-max-jobs",
            "build-cores", "build-repeat", "multiplexed-build-output");

    private OptionOps() {
    }

    /**
     * {@code wopSetOptions} (protocol.md §6.19, daemon.md §2.5), before the work phase: the fields
     * the client's minor carries, the override pairs with the untrusted- prefix rule, then
     * {@link Settings#update()}, so that a malformed value ends the session.
     */
    static void apply(SessionContext s, SetOptions q) throws Exception {
        Settings settings = s.settings;
        settings.keepFailed = q.keepFailed() && !s.peer.remote();
        settings.keepGoing = q.keepGoing();
        settings.set("build-fallback", q.tryFallback() ? "true" : "false");
        s.stderr.setVerbosity((int) q.verbosity());
        q.jobLimits().ifPresent(j -> {
            settings.set("build-max-jobs", Long.toString(j.maxBuildJobs()));
            settings.set("build-max-silent-time", Long.toString(j.maxSilentTime()));
        });
        q.useBuildHook().ifPresent(use -> settings.useBuildHook = use);
        q.logging().ifPresent(l -> {
            settings.buildVerbosity = (int) l.buildVerbosity();
            settings.logType = (int) l.logType();
            settings.printBuildTrace = l.printBuildTrace();
        });
        q.buildCores().ifPresent(cores -> settings.set("build-cores", Long.toString(cores)));
        q.useSubstitutes().ifPresent(use -> {
            // Read but ignored when the daemon runs with substitutes off.
            if (settings.useSubstitutes) {
                settings.set("build-use-substitutes", use ? "true" : "false");
            }
        });
        for (Map.Entry<String, String> pair : q.overrides()) {
            override(s, pair.getKey(), pair.getValue());
        }
        settings.update();
    }

    /** Everything happened before the work phase; the work phase is empty, and there is no reply. */
    static NoReply setOptions(SessionContext s, SetOptions q) {
        return NoReply.INSTANCE;
    }

    private static void override(SessionContext s, String name, String value) throws IOException {
        if (ANYONE_MAY_SET.contains(name)) {
            s.settings.set(name, value);
        } else if (name.equals("user-name") && !s.peer.uidKnown()) {
            // Only for peers without a uid (TCP): create that user's profile directory.
            Passwd.Entry user = Passwd.byName(value);
            if (user == null) {
                s.stderr.message(1, "user name " + value + " not found");
            } else {
                UserProfiles.create(s.layout.stateDir(), user.name(), user.uid(), s.stderr);
            }
        } else {
            s.settings.set(s.peer.trusted() ? name : "untrusted-" + name, value);
        }
    }

    static IntReply optimiseStore(SessionContext s, OptimiseStore q) {
        return MaintenanceOps.optimiseStore(s, q);
    }

    static IntReply verifyStore(SessionContext s, VerifyStore q) throws SessionError {
        return MaintenanceOps.verifyStore(s, q);
    }
}
