package loomd.test.offload;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A stand-in for {@code guix offload} (daemon.md §6.2, §6.3), run by the daemon under test as
 * {@code G offload SYSTEM MAX-SILENT-TIME PRINT-BUILD-TRACE BUILD-TIMEOUT}. It is a Java program
 * because there is no Guix here: the real one is Guile driving the worker over SSH, and the daemon
 * cannot tell the two apart, since all it sees is the §6.3 exchange on the pipes and, afterwards,
 * rows in its database. What it does on accept follows the real one: copy the missing inputs to the
 * worker (export here, import there, over the worker's {@code --listen} TCP port), build there with
 * {@code BuildPaths}, then bring the outputs back by restoring them into the store and registering
 * them in {@code db.sqlite} itself, without path locks, since the daemon holds them (§6.4).
 *
 * <p>Configuration comes from the daemon's environment (the hook inherits it):
 * {@code OFFLOAD_HEAD_ROOT} is the head daemon's {@code --store-root} (its socket, store, database and
 * {@code var/guix/offload} slot files), {@code OFFLOAD_MACHINES} lists {@code HOST:PORT:SLOTS} entries
 * separated by commas (the machines.scm of this stand-in).
 *
 * <p>Exit codes as the real one: 0 built and registered, 100 the worker reported a build failure, 1
 * anything else (the worker vanished, a transfer failed), which the daemon reports as
 * {@code @ hook-failed}.
 */
public final class StandInOffload {
    private StandInOffload() {}

    /** One build machine: a worker daemon listening on TCP, with that many build slots. */
    record Machine(String host, int port, int slots) {
        String name() {
            return host + ":" + port;
        }

        static List<Machine> parse(String spec) {
            return Arrays.stream(spec.split(",")).filter(s -> !s.isBlank()).map(s -> {
                String[] f = s.strip().split(":");
                return new Machine(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]));
            }).toList();
        }
    }

    /** What the daemon passed on the command line, and where the head's store lives. */
    record Config(String system, int maxSilentTime, boolean printBuildTrace, int buildTimeout, Path headRoot,
            List<Machine> machines) {
        static Config of(String[] args, Map<String, String> env) {
            // No machines (a worker's own daemon asking): every request is declined.
            return new Config(args[1], Integer.parseInt(args[2]), args[3].equals("1"), Integer.parseInt(args[4]),
                    Path.of(env.getOrDefault("OFFLOAD_HEAD_ROOT", "/")),
                    Machine.parse(env.getOrDefault("OFFLOAD_MACHINES", "")));
        }

        Path slotDir() {
            return headRoot.resolve("var/guix/offload");
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5 || !args[0].equals("offload")) {
            System.err.println("stand-in guix: usage: guix offload SYSTEM MAX-SILENT-TIME PRINT-BUILD-TRACE TIMEOUT");
            System.exit(2);
        }
        Config config = Config.of(args, System.getenv());
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] request = line.split(" ", -1); // <avail> <platform> <drv> <features>
            if (request.length < 3 || !request[1].equals(config.system()) || config.machines().isEmpty()) {
                out.println("# decline");
                continue;
            }
            Optional<Slots.Slot> slot = Slots.acquire(config);
            if (slot.isEmpty()) {
                out.println("# postpone"); // every slot is busy or no machine answers: ask again later
                continue;
            }
            out.println("# accept");
            List<String> inputs = words(in.readLine());
            List<String> outputs = words(in.readLine());
            System.exit(new RemoteBuild(config, slot.get(), request[2], inputs, outputs).run());
        }
    }

    /** A path line of §6.3: every path followed by a space. */
    private static List<String> words(String line) {
        if (line == null) {
            return List.of();
        }
        return Arrays.stream(line.split(" ")).filter(s -> !s.isEmpty()).toList();
    }
}
