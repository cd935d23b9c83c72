package loomd.protocol.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import loomd.protocol.client.StoreClient;

/** {@code add FILE [--flat] [--algo A] [--name N]}: the NAR of FILE is streamed inline (op 7). */
final class AddCommand {
    private AddCommand() {}

    static String run(StoreClient c, List<String> args) throws IOException {
        boolean flat = args.remove("--flat");
        String algo = option(args, "--algo", "sha256");
        String givenName = option(args, "--name", null);
        String file = Main.one(args, "FILE");
        String name = givenName != null ? givenName : Path.of(file).getFileName().toString();
        return c.addToStore(name, !flat, algo, Path.of(file));
    }

    private static String option(List<String> args, String flag, String fallback) {
        int i = args.indexOf(flag);
        if (i < 0) {
            return fallback;
        }
        if (i + 1 >= args.size()) {
            throw new Main.UsageException(flag + " needs a value");
        }
        String value = args.get(i + 1);
        args.subList(i, i + 2).clear();
        return value;
    }
}
