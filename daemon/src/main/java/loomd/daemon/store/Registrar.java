package loomd.daemon.store;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
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
 * from the store). Cache entries of the batch are dropped after the commit.
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
                Caffeine.newBuilder().maximumSize(10_000).<String, byte[]>build().asMap());
    }

    /** A {@code .drv} file of the store, parsed (upstream's readDerivation). */
    Derivation readDerivation(String drvPath) throws IOException, DerivationException {
        return ATermParser.parse(Files.readAllBytes(config.physical(drvPath)), drvPath);
    }

    /** For a {@code .drv}: the registration with its outputs (the file must be in place). */
    Registration withOutputs(Registration r) {
        if (!DerivationPaths.isDerivationPath(r.path())) return r;
        try {
            Derivation drv = readDerivation(r.path());
            SortedMap<String, String> outs = new TreeMap<>();
            for (var e : drv.outputs().entrySet()) outs.put(e.getKey(), e.getValue().path());
            return r.withDerivationOutputs(outs);
        } catch (IOException | DerivationException e) {
            throw new StoreException(e.getMessage());
        }
    }

    void register(List<Registration> batch) {
        List<Registration> full = batch.stream().map(this::withOutputs).toList();
        try {
            db.write(d -> StoreQueries.register(d, full, this::checkOutputs, System.currentTimeMillis() / 1000));
        } finally {
            reader.forgetAll(full.stream().map(Registration::path).toList());
        }
    }

    private void checkOutputs(Registration r) {
        try {
            DerivationPaths.checkOutputs(r.path(), readDerivation(r.path()), config.storeDir(), hasher);
        } catch (IOException | DerivationException e) {
            throw new StoreException(e.getMessage());
        }
    }
}
