package loomd.daemon.store;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import com.github.benmanes.caffeine.cache.Caffeine;
import loomd.daemon.store.db.Registration;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.protocol.drv.ATermParser;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationException;
import loomd.protocol.drv.DerivationHasher;
import loomd.protocol.drv.DerivationPaths;

/**
 * Registration of paths (daemon.md §8.4): one writer transaction per batch; a {@code .drv} gets
 * its {@code DerivationOutputs} rows and the output-path check (against input derivations read
 * from the store). After the commit the batch's cached infos are dropped and its paths cached as
 * valid ({@link StoreReader#registered}).
 */
final class Registrar {
    private final StoreConfig config;
    private final StoreDatabase db;
    private final StoreReader reader;
    private final DerivationHasher hasher;

    Registrar(StoreConfig config, StoreDatabase db, StoreReader reader) {
        this.config = config;
        this.db = db;
        this.reader = reader;
        this.hasher = new DerivationHasher(this::readDerivation,
                Caffeine.newBuilder().maximumSize(10_000).executor(Runnable::run).<String, byte[]>build().asMap());
    }

    /** A {@code .drv} file of the store, parsed (upstream's readDerivation). */
    Derivation readDerivation(String drvPath) throws IOException, DerivationException {
        return ATermParser.parse(Files.readAllBytes(config.physical(drvPath)), drvPath);
    }

    /** Registers {@code batch} in one transaction; returns its newest row id. */
    long register(List<Registration> batch) {
        // Each .drv of the batch is read once, before the write transaction: the output rows and
        // the output check both use it, and no file I/O happens while the write lock is held.
        Map<String, Derivation> drvs = new HashMap<>();
        for (Registration r : batch) {
            if (DerivationPaths.isDerivationPath(r.path())) drvs.put(r.path(), parse(r.path()));
        }
        List<Registration> full = batch.stream().map(r -> withOutputs(r, drvs.get(r.path()))).toList();
        List<String> paths = full.stream().map(Registration::path).toList();
        long dropsBefore = reader.drops();
        long newest;
        try {
            newest = db.write(d -> StoreQueries.register(d, full, r -> checkOutputs(r, drvs.get(r.path())),
                    System.currentTimeMillis() / 1000));
        } catch (RuntimeException e) {
            reader.forgetAll(paths);
            throw e;
        }
        reader.registered(paths, dropsBefore);
        return newest;
    }

    /** For a {@code .drv}: the registration with its outputs. */
    private static Registration withOutputs(Registration r, Derivation drv) {
        if (drv == null) return r;
        SortedMap<String, String> outs = new TreeMap<>();
        for (var e : drv.outputs().entrySet()) outs.put(e.getKey(), e.getValue().path());
        return r.withDerivationOutputs(outs);
    }

    private void checkOutputs(Registration r, Derivation drv) {
        try {
            DerivationPaths.checkOutputs(r.path(), drv != null ? drv : parse(r.path()), config.storeDir(), hasher);
        } catch (IOException | DerivationException e) {
            throw new StoreException(e.getMessage());
        }
    }

    private Derivation parse(String drvPath) {
        try {
            return readDerivation(drvPath);
        } catch (IOException | DerivationException e) {
            throw new StoreException(e.getMessage());
        }
    }
}
