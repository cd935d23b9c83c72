package loomd.daemon.session;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

import loomd.daemon.Settings;

/**
 * {@code wopSetOptions} (protocol.md §6.19, daemon.md §2.5): fields gated by the client minor,
 * the override pairs with the untrusted- prefix rule, then {@link Settings#update()} before the
 * work phase, so a malformed value ends the session.
 */
final class SetOptions {
    /** Override names any client may set under their own name. */
    static final Set<String> ANYONE_MAY_SET = Set.of("build-timeout", "build-max-silent-time", "build-max-jobs",
            "build-cores", "build-repeat", "multiplexed-build-output");

    private final SessionContext s;

    SetOptions(SessionContext context) {
        this.s = context;
    }

    void perform() throws Exception {
        Settings settings = s.settings;
        int minor = s.clientMinor();
        settings.keepFailed = s.in.readBool() && !s.peer.remote();
        settings.keepGoing = s.in.readBool();
        settings.set("build-fallback", s.in.readBool() ? "true" : "false");
        s.stderr.setVerbosity((int) s.in.readUInt());
        if (minor < 0x61) {
            settings.set("build-max-jobs", Long.toString(s.in.readUInt()));
            settings.set("build-max-silent-time", Long.toString(s.in.readUInt()));
        }
        if (minor >= 2) {
            settings.useBuildHook = s.in.readBool();
        }
        if (minor >= 4) {
            settings.buildVerbosity = (int) s.in.readUInt();
            settings.logType = (int) s.in.readUInt();
            settings.printBuildTrace = s.in.readBool();
        }
        if (minor >= 6 && minor < 0x61) {
            settings.set("build-cores", Long.toString(s.in.readUInt()));
        }
        if (minor >= 10) {
            boolean use = s.in.readBool();
            if (settings.useSubstitutes) {
                settings.set("build-use-substitutes", use ? "true" : "false");
            }
        }
        if (minor >= 12) {
            List<Map.Entry<String, String>> pairs = s.in.readStringPairs();
            for (Map.Entry<String, String> pair : pairs) {
                override(pair.getKey(), pair.getValue());
            }
        }
        settings.update();
        s.stderr.startWork();
        s.stderr.stopWork();
    }

    private void override(String name, String value) throws IOException {
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
}
