package loomd.test.stress;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.GcAction;
import loomd.protocol.client.StoreClient;
import loomd.protocol.ops.CollectGarbage;
import loomd.test.support.DaemonProcess;

/**
 * What a client without privileges tries, each time the campaign judges the store: over TCP (never
 * trusted, protocol.md §8) repair a build, repair through verify, collect garbage, import an unsigned
 * bundle that would plant contents under an existing path; and what nobody may do even as root:
 * ignore liveness. Each must fail with upstream's words and change nothing; the store invariants
 * checked right after show that nothing changed.
 */
final class UntrustedAttempts {
    private UntrustedAttempts() {}

    /** Returns one line per attempt that was not refused as upstream refuses it. */
    static List<String> run(DaemonProcess daemon, Map<String, String> acknowledged) throws IOException {
        List<String> wrong = new ArrayList<>();
        String victim = acknowledged.keySet().stream().findFirst().orElse(null);
        if (victim == null) return wrong;
        expect(wrong, "repair build over TCP", "repairing is a privileged operation",
                () -> tcp(daemon, c -> c.buildPaths(List.of(victim), BuildMode.REPAIR)));
        expect(wrong, "repair through verify over TCP", "you are not privileged to repair paths",
                () -> tcp(daemon, c -> c.verifyStore(true, true)));
        expect(wrong, "collect garbage over TCP", "Garbage collection is disabled for remote hosts.",
                () -> tcp(daemon, c -> c.collectGarbage(GcAction.DELETE_SPECIFIC, List.of(victim), Long.MAX_VALUE)));
        expect(wrong, "import an unsigned bundle over TCP", "lacks a signature", () -> {
            ByteArrayOutputStream bundle = new ByteArrayOutputStream();
            try (StoreClient root = daemon.client()) {
                root.exportPaths(List.of(victim), false, false, bundle);
            }
            byte[] planted = plantOtherContents(bundle.toByteArray());
            tcp(daemon, c -> c.importPaths(new ByteArrayInputStream(planted)));
        });
        expect(wrong, "ignore liveness as root", "you are not allowed to ignore liveness", () -> {
            try (StoreClient root = daemon.client()) {
                root.call(new CollectGarbage(CollectGarbage.DELETE_SPECIFIC, List.of(victim), true, Long.MAX_VALUE));
            }
        });
        return wrong;
    }

    /** The first byte of the first regular file's contents flipped: same path, other contents. */
    static byte[] plantOtherContents(byte[] bundle) {
        byte[] token = "contents".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i + token.length + 8 < bundle.length; i++) {
            if (java.util.Arrays.equals(bundle, i, i + token.length, token, 0, token.length)) {
                int first = i + token.length + 8; // after the 8-byte contents length
                if (bundle[i + token.length] != 0 && first < bundle.length) bundle[first] ^= 1;
                return bundle;
            }
        }
        return bundle;
    }

    interface Attempt {
        void run() throws IOException;
    }

    private static void expect(List<String> wrong, String what, String error, Attempt attempt) {
        try {
            attempt.run();
            wrong.add(what + ": accepted");
        } catch (DaemonException e) {
            if (!e.getMessage().contains(error)) wrong.add(what + ": refused with `" + e.getMessage() + "', not `" + error + "'");
        } catch (IOException e) {
            wrong.add(what + ": " + e);
        }
    }

    interface Call {
        Object on(StoreClient client) throws IOException;
    }

    private static void tcp(DaemonProcess daemon, Call call) throws IOException {
        try (StoreClient c = StoreClient.connectTcp("127.0.0.1", daemon.tcpPort(), ClientOptions.DEFAULT)) {
            call.on(c);
        }
    }
}
