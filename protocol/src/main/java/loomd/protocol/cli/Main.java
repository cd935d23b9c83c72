package loomd.protocol.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonAddress;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.GcRoot;
import loomd.protocol.client.PathInfo;
import loomd.protocol.client.StoreClient;

/**
 * A small command line over {@link StoreClient}, for poking any worker-protocol daemon:
 *
 * <pre>
 * loomd-store [--socket PATH|URI] COMMAND ARGS...
 *   ping                       handshake only; prints the daemon's protocol version
 *   valid PATH                 prints true or false
 *   info PATH                  deriver, NAR hash, references, registration time, NAR size
 *   add-text NAME FILE [REF..] adds FILE's bytes as a text path; prints the path
 *   add FILE [--flat] [--algo A] [--name N]   adds a file or tree (NAR streamed inline)
 *   export PATH [--unsigned]   writes an export bundle of PATH to stdout
 *   import                     imports a bundle from stdin; prints the imported paths
 *   roots | all                GC roots ("link target") | every valid path
 *   hash-part HASH             the valid path with this hash part, or nothing
 * </pre>
 *
 * The socket is {@code --socket}, else {@code GUIX_DAEMON_SOCKET}, else
 * {@code /var/guix/daemon-socket/socket}. A daemon error prints its message and exits with its
 * status (non-zero); a usage error exits 2; any other I/O error exits 1.
 */
public final class Main {
    /** Opens a client; tests replace it with an in-memory peer. */
    @FunctionalInterface
    public interface Connector {
        StoreClient connect(DaemonAddress address, ClientOptions options) throws IOException;
    }

    private final Map<String, String> env;
    private final InputStream stdin;
    private final PrintStream stdout;
    private final PrintStream stderr;
    private final Connector connector;

    public Main(Map<String, String> env, InputStream stdin, PrintStream stdout, PrintStream stderr, Connector connector) {
        this.env = env;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.connector = connector;
    }

    public static void main(String[] args) {
        int code = new Main(System.getenv(), System.in, System.out, System.err, StoreClient::connect).run(args);
        System.out.flush();
        System.exit(code);
    }

    private static final List<String> COMMANDS =
            List.of("ping", "valid", "info", "add-text", "add", "export", "import", "roots", "all", "hash-part");

    private static final String HELP = """
            usage: loomd-store [--socket PATH|URI] COMMAND ARGS...
              ping                       handshake only; prints the daemon's protocol version
              valid PATH                 prints true or false
              info PATH                  deriver, NAR hash, references, registration time, NAR size
              add-text NAME FILE [REF..] adds FILE's bytes as a text path; prints the path
              add FILE [--flat] [--algo A] [--name N]
                                         adds a file or tree (NAR streamed inline); prints the path
              export PATH [--unsigned]   writes an export bundle of PATH to stdout
              import                     imports a bundle from stdin; prints the imported paths
              roots                      GC roots, one "link target" a line
              all                        every valid path
              hash-part HASH             the valid path with this hash part, or nothing
            The socket is --socket, else GUIX_DAEMON_SOCKET, else /var/guix/daemon-socket/socket.
            """;

    /** Runs one command; returns the exit code. */
    public int run(String... argv) {
        List<String> args = new ArrayList<>(List.of(argv));
        if (args.isEmpty() || args.contains("--help") || args.contains("-h") || "help".equals(args.getFirst())) {
            // Help never needs a daemon: answer before connecting.
            (args.isEmpty() ? stderr : stdout).print(HELP);
            return args.isEmpty() ? 2 : 0;
        }
        DaemonAddress address;
        try {
            address = takeSocket(args);
        } catch (IllegalArgumentException e) {
            return usage(e.getMessage());
        }
        if (args.isEmpty()) {
            return usage("no command given");
        }
        String command = args.removeFirst();
        if (!COMMANDS.contains(command)) {
            return usage("unknown command `" + command + "'");
        }
        ClientOptions options = ClientOptions.DEFAULT.withLog(stderr::print);
        try (StoreClient client = connector.connect(address, options)) {
            return execute(client, command, args);
        } catch (UsageException e) {
            return usage(e.getMessage());
        } catch (DaemonException e) {
            stderr.println("error: " + e.getMessage());
            return e.status() == 0 ? 1 : e.status();
        } catch (IOException | RuntimeException e) {
            stderr.println("error: " + e.getMessage());
            return 1;
        }
    }

    private DaemonAddress takeSocket(List<String> args) {
        int i = args.indexOf("--socket");
        if (i < 0) {
            return DaemonAddress.fromEnvironment(env);
        }
        if (i + 1 >= args.size()) {
            throw new IllegalArgumentException("--socket needs a value");
        }
        String value = args.get(i + 1);
        args.subList(i, i + 2).clear();
        return DaemonAddress.parse(value);
    }

    private int execute(StoreClient c, String command, List<String> args) throws IOException {
        switch (command) {
            case "ping" -> stdout.println("0x" + Long.toHexString(c.daemonVersion()));
            case "valid" -> stdout.println(c.isValidPath(one(args, "PATH")));
            case "info" -> printInfo(c.queryPathInfo(one(args, "PATH")));
            case "add-text" -> addText(c, args);
            case "add" -> stdout.println(AddCommand.run(c, args));
            case "export" -> export(c, args);
            case "import" -> c.importPaths(stdin).forEach(stdout::println);
            case "roots" -> {
                for (GcRoot r : c.findRoots()) {
                    stdout.println(r.link() + " " + r.target());
                }
            }
            case "all" -> c.queryAllValidPaths().forEach(stdout::println);
            case "hash-part" -> {
                String p = c.queryPathFromHashPart(one(args, "HASH"));
                if (!p.isEmpty()) {
                    stdout.println(p);
                }
            }
            default -> throw new UsageException("unknown command `" + command + "'");
        }
        return 0;
    }

    private void printInfo(PathInfo info) {
        stdout.println("deriver: " + info.deriver());
        stdout.println("nar-hash: sha256:" + info.narHash());
        stdout.println("nar-size: " + info.narSize());
        stdout.println("registration-time: " + info.registrationTime());
        for (String ref : info.references()) {
            stdout.println("reference: " + ref);
        }
    }

    private void addText(StoreClient c, List<String> args) throws IOException {
        if (args.size() < 2) {
            throw new UsageException("add-text needs NAME FILE [REF...]");
        }
        byte[] contents = Files.readAllBytes(Path.of(args.get(1)));
        stdout.println(c.addTextToStore(args.get(0), contents, args.subList(2, args.size())));
    }

    private void export(StoreClient c, List<String> args) throws IOException {
        boolean sign = !args.remove("--unsigned");
        c.exportPaths(List.of(one(args, "PATH")), sign, false, stdout);
        stdout.flush();
    }

    static String one(List<String> args, String what) {
        if (args.size() != 1) {
            throw new UsageException("expected exactly one " + what);
        }
        return args.getFirst();
    }

    private int usage(String message) {
        stderr.println("loomd-store: " + message);
        stderr.print(HELP);
        return 2;
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
