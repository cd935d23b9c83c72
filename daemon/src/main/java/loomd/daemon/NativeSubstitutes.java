package loomd.daemon;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import loomd.daemon.store.LocalStore;
import loomd.daemon.substitute.Substituters;
import loomd.daemon.substitute.nativ.NativeSubstituter;

/** Start-up of {@code --substituter=native}: the ACL under {@code C}, the unauthenticated switch, as upstream's helper. */
final class NativeSubstitutes {
    /** Upstream's {@code %fetch-timeout}: a server slower than this to connect is skipped. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private NativeSubstitutes() {
    }

    static Substituters attach(LocalStore store, Layout layout, Map<String, String> env, Consumer<String> log) {
        boolean unauthenticated = env.getOrDefault("GUIX_ALLOW_UNAUTHENTICATED_SUBSTITUTES", "").equalsIgnoreCase("yes");
        if (unauthenticated) log.accept("warning: authentication and authorization of substitutes disabled!");
        log.accept("substitutes: native, keys from " + layout.confDir().resolve("acl"));
        NativeSubstituter nativ = new NativeSubstituter(store, layout.confDir().resolve("acl"), unauthenticated,
                CONNECT_TIMEOUT, log);
        return Substituters.attachNative(store, nativ, log);
    }
}
