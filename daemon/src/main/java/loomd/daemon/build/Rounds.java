package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.function.Consumer;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.PathInfo;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.fs.FileTrees;

/**
 * Bit-for-bit comparisons of rebuilt outputs (daemon.md §4.12): check mode against the valid outputs
 * (step 9) and {@code --rounds} against the previous round ("after the loop"), with keep-failed's
 * {@code <out>-check} copies for inspection. One per derivation goal, used on its thread only.
 */
final class Rounds {
    static final String CHECK_SUFFIX = "-check";

    /** What a round remembers of an output: upstream compares path, NAR hash and references. */
    private record Record(String narHash, SortedSet<String> references) {}

    private final LocalStore store;
    private final String drvPath;
    private final int total;
    private final boolean keepFailed;
    private int round = 1;
    private Map<String, Record> previous = Map.of();

    /** @param repeat {@code build-repeat}, ignored for a fixed-output derivation (its hash is the check) */
    Rounds(LocalStore store, String drvPath, boolean fixedOutput, long repeat, boolean keepFailed) {
        this.store = store;
        this.drvPath = drvPath;
        this.total = fixedOutput ? 1 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, repeat + 1));
        this.keepFailed = keepFailed;
    }

    boolean last() {
        return round >= total;
    }

    /**
     * Check mode, step 9: each output must have the NAR hash of its valid self. A difference is a
     * plain error (it aborts the operation, no {@code @ build-failed}); with keep-failed the new tree
     * is kept as {@code <out>-check}. Each identical output traces {@code @ build-succeeded}.
     */
    void compareWithValid(SortedMap<String, OutputRegistrar.Scanned> scans, Consumer<String> trace) {
        for (OutputRegistrar.Scanned s : scans.values()) {
            Optional<PathInfo> valid = store.queries().queryPathInfo(s.path());
            if (valid.isEmpty()) {
                continue;
            }
            if (!valid.get().narHash().equals(s.result().nar().narHash())) {
                String message = "derivation `" + drvPath + "' may not be deterministic: output `" + s.path() + "' differs";
                if (keepFailed) {
                    Path kept = keep(s.path(), s.at());
                    throw new StoreException(message + " from `" + store.config().storeDir().path() + "/"
                            + kept.getFileName() + "'");
                }
                throw new StoreException(message);
            }
            trace.accept(TraceLines.buildSucceeded(drvPath));
        }
    }

    /**
     * After every round but check mode's: the outputs must equal the previous round's (a build error,
     * the output rejected); keep-failed drops stale {@code -check} copies and keeps this round's
     * outputs as {@code -check} unless it is the last. True if this was the last round.
     */
    boolean finishRound(SortedMap<String, OutputRegistrar.Scanned> scans) throws BuildFailure {
        Map<String, Record> now = new TreeMap<>();
        scans.forEach((p, s) -> now.put(p, new Record(s.result().nar().narHash().toBase16(), s.result().references())));
        if (round > 1) {
            for (var e : now.entrySet()) {
                if (!e.getValue().equals(previous.get(e.getKey()))) {
                    Path check = checkPath(e.getKey());
                    String what = "output \u2018" + e.getKey() + "\u2019 of \u2018" + drvPath + "\u2019 differs";
                    throw new BuildFailure(BuildFailure.Kind.OUTPUT_REJECTED, Files.exists(check, LinkOption.NOFOLLOW_LINKS)
                            ? what + " from \u2018" + e.getKey() + CHECK_SUFFIX + "\u2019 from previous round"
                            : what + " from previous round");
                }
            }
        }
        if (keepFailed) {
            for (OutputRegistrar.Scanned s : scans.values()) {
                delete(checkPath(s.path()));
                if (!last()) {
                    keep(s.path(), s.at());
                }
            }
        }
        if (last()) {
            return true;
        }
        previous = now;
        round++;
        return false;
    }

    /** Check mode's rounds: each compares with the valid outputs only. True if this was the last. */
    boolean finishRoundOfCheck() {
        if (last()) {
            return true;
        }
        round++;
        return false;
    }

    private Path checkPath(String path) {
        Path p = store.config().physical(path);
        return p.resolveSibling(p.getFileName() + CHECK_SUFFIX);
    }

    /** Moves a built output to {@code <out>-check}, replacing an older one; returns where it went. */
    private Path keep(String path, Path at) {
        Path dest = checkPath(path);
        try {
            delete(dest);
            Files.move(at, dest, StandardCopyOption.ATOMIC_MOVE);
            return dest;
        } catch (IOException e) {
            throw new StoreException("renaming `" + at + "' to `" + dest + "': " + e.getMessage());
        }
    }

    private static void delete(Path p) {
        try {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                FileTrees.deleteRecursively(p);
            }
        } catch (IOException e) {
            throw new StoreException("deleting `" + p + "': " + e.getMessage());
        }
    }
}
