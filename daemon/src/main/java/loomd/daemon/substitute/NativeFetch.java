package loomd.daemon.substitute;

import java.io.IOException;

import loomd.daemon.Settings;
import loomd.daemon.substitute.nativ.NativeSubstituter;

/**
 * Steps 5 to 9 of a substitution goal (daemon.md §5.3) in native mode: the same traces and failure
 * texts as with a fetching helper, with the download done by the daemon itself. The transfer installs
 * and registers the path (narinfo references and deriver), or in a repair swaps it for the damaged
 * valid one, so nothing is left to register here.
 */
final class NativeFetch {
    private NativeFetch() {
    }

    static Outcome fetch(NativeSubstituter nativ, Settings settings, SubstitutableInfo info, boolean repair,
            FetchListener l) throws IOException, InterruptedException {
        String path = info.path();
        if (settings.printBuildTrace) l.message(0, "@ substituter-started " + path + " substitute");
        NativeSubstituter.Fetched f = nativ.fetch(settings, path, repair, l);
        return switch (f) {
            case NativeSubstituter.Fetched.Installed ok -> {
                if (settings.printBuildTrace) l.message(0, "@ substituter-succeeded " + path);
                yield Outcome.SUBSTITUTED;
            }
            case NativeSubstituter.Fetched.TimedOut t -> {
                if (settings.printBuildTrace) l.message(0, "@ substituter-failed " + path + " timeout");
                yield new Outcome.Failed("timeout");
            }
            case NativeSubstituter.Fetched.Failed bad -> {
                l.message(0, "substitute: error: " + bad.message());
                String message = bad.status().startsWith("hash-mismatch ")
                        ? "hash mismatch for substituted item `" + path + "'"
                        : "fetching path `" + path + "' (status: '" + bad.status() + "')";
                yield SubstitutionGoals.failed(settings, path, bad.status(), message, l);
            }
        };
    }
}
