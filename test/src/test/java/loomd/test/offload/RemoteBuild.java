package loomd.test.offload;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;

/**
 * The accepted half of the stand-in (§6.3 steps 3 to 5): send the inputs the worker lacks, build
 * there, bring the outputs back into the head's store. The head's daemon is reached as a normal
 * client on its Unix socket, as the real hook reaches it (§6.4).
 */
final class RemoteBuild {
    private final StandInOffload.Config config;
    private final Slots.Slot slot;
    private final String drv;
    private final List<String> inputs;
    private final List<String> outputs;

    RemoteBuild(StandInOffload.Config config, Slots.Slot slot, String drv, List<String> inputs, List<String> outputs) {
        this.config = config;
        this.slot = slot;
        this.drv = drv;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /** The start of the line in which the stand-in says how long each phase took (the bench reads it). */
    static final String PHASES = "stand-in offload phases (ms):";

    /** From the hook's start (stamped by the stand-in's {@code guix} script, before the JVM) to the accept. */
    private static long startMillis(long acceptedNanos) {
        long sinceAccept = (System.nanoTime() - acceptedNanos) / 1_000_000;
        String started = System.getenv("OFFLOAD_STARTED");
        return started == null ? -1 : System.currentTimeMillis() - Long.parseLong(started) / 1_000_000 - sinceAccept;
    }

    /** The exit code: 0, 100 for a build the worker reported failed, 1 for anything else. */
    int run() {
        StoreClient worker = slot.worker();
        try (StoreClient head = StoreClient.connectUnix(config.headRoot().resolve("daemon.sock"),
                ClientOptions.DEFAULT.withLog(System.err::print))) {
            if (config.printBuildTrace()) {
                System.err.println("@ build-remote " + drv + " " + slot.machine().name());
            }
            long accepted = System.nanoTime();
            sendInputs(head, worker);
            long sent = System.nanoTime();
            // The worker builds itself (no offloading on from there) and keeps its trace lines to itself.
            worker.setOptions(BuildOptions.defaults().withUseSubstitutes(false).withPrintBuildTrace(false).withOffload(false)
                    .withMaxSilentTime(config.maxSilentTime()).withTimeout(config.buildTimeout()));
            try {
                worker.buildPaths(List.of(drv), BuildMode.NORMAL);
            } catch (DaemonException e) {
                System.err.println("derivation '" + drv + "' offloaded to '" + slot.machine().name() + "' failed: "
                        + e.getMessage());
                return 100;
            }
            long built = System.nanoTime();
            ByteArrayOutputStream bundle = new ByteArrayOutputStream();
            worker.exportPaths(outputs, false, false, bundle);
            HeadStore.of(config.headRoot()).restore(new ByteArrayInputStream(bundle.toByteArray()), Set.copyOf(outputs));
            // One write per line, as guix offload's line-buffered port: printf writes piecemeal, and the
            // head's client could not tell this hook's half line from another hook's output.
            System.err.print(String.format("%s %s start %d send %d build %d retrieve %d%n", PHASES, drv,
                    startMillis(accepted), (sent - accepted) / 1_000_000, (built - sent) / 1_000_000,
                    (System.nanoTime() - built) / 1_000_000));
            return 0;
        } catch (Exception e) {
            // The worker vanished mid-build, a transfer failed: a transient failure for the daemon.
            System.err.println("guix offload: error: " + slot.machine().name() + ": " + e);
            return 1;
        }
    }

    /** The real hook's send-files: the inputs the worker does not have, exported signed, imported there. */
    private void sendInputs(StoreClient head, StoreClient worker) throws Exception {
        Set<String> present = new HashSet<>(worker.queryValidPaths(inputs));
        List<String> missing = new ArrayList<>(inputs);
        missing.removeIf(present::contains);
        if (missing.isEmpty()) {
            return;
        }
        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        head.exportPaths(missing, true, false, bundle);
        worker.importPaths(new ByteArrayInputStream(bundle.toByteArray()));
    }
}
