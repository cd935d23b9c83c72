package loomd.daemon.substitute;

import java.io.IOException;
import java.nio.file.Path;

import loomd.daemon.store.StoreException;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.NarResult;
import loomd.protocol.nar.NarWriter;

/**
 * The fetching helper's status line (daemon.md §5.3 step 7). A malformed {@code success} line is an
 * error that aborts the whole operation (upstream's texts); every other status fails the goal.
 */
final class SubstituteStatus {
    private SubstituteStatus() {
    }

    static Result interpret(String path, String status, Path destination) throws IOException {
        if (status.isEmpty()) return new Result.Bad("fetching path `" + path + "' (empty status)");
        String[] f = status.split(" ", -1);
        if (f[0].equals("hash-mismatch")) return new Result.Bad("hash mismatch for substituted item `" + path + "'");
        if (!f[0].equals("success")) return new Result.Bad("fetching path `" + path + "' (status: '" + status + "')");
        if (!SubstitutionGoals.exists(destination)) {
            throw new StoreException("substitute did not produce path `" + path + "'");
        }
        String typed = f.length > 1 ? f[1] : "";
        int colon = typed.indexOf(':');
        if (colon < 0) throw new StoreException("bad hash from substituter: " + typed);
        HashAlgorithm algo;
        try {
            algo = HashAlgorithm.parse(typed.substring(0, colon));
        } catch (RuntimeException e) {
            throw new StoreException("unknown hash algorithm in `" + typed + "'");
        }
        if (algo != HashAlgorithm.SHA256) {
            NarResult nar = NarWriter.hash(destination);
            return new Result.Good(nar.narHash().toBase16(), nar.narSize());
        }
        long size;
        try {
            size = Long.parseLong(f.length > 2 ? f[2] : "");
        } catch (NumberFormatException e) {
            throw new StoreException("invalid nar size for '" + path + "' substitute");
        }
        try {
            return new Result.Good(Hash.parse(algo, typed.substring(colon + 1)).toBase16(), size);
        } catch (RuntimeException e) {
            throw new StoreException("bad hash from substituter: " + typed);
        }
    }
}
